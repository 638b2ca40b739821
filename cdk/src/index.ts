export { EcsSecretRedeploy, type EcsSecretRedeployProps, EVENT_SOURCE } from './ecs-secret-redeploy';
export type { EcsSecretRedeploySettings } from './settings.generated';

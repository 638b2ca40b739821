import {
  codeDeployChange,
  deploymentChange,
  loadEvent,
  parameterChange,
  scheduledEvent,
  secretEvents,
  serviceEvent,
} from '../../kit/events';

const ORIGIN = { account: '111122223333', region: 'eu-west-1' };
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders-db-a1B2c3';
const events = secretEvents(SECRET, ORIGIN);

/** Every key path of a JSON value (`detail.requestParameters.secretId`, ...), sorted; arrays by their first element. */
function shape(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length > 0 ? shape(value[0], `${prefix}[]`) : [`${prefix}[]`];
  if (value === null || typeof value !== 'object') return [prefix];
  return Object.entries(value as Record<string, unknown>)
    .flatMap(([key, v]) => shape(v, prefix ? `${prefix}.${key}` : key))
    .sort();
}

// The builders feed the tests, the demo and the benchmark: each must produce the documented shape
// of its fixture, key for key, so that no code path is exercised only with an invented event.
describe('event builders', () => {
  it.each([
    ['PutSecretValue', events.putSecretValue(), 'put-secret-value.current.json'],
    ['UpdateSecretVersionStage', events.updateSecretVersionStage('AWSCURRENT', 'v2', 'v1'), 'update-secret-version-stage.current.json'],
    ['RotationSucceeded', events.rotationSucceeded(), 'rotation-succeeded.service-event.json'],
    ['RotationFailed', serviceEvent(ORIGIN, 'RotationFailed', SECRET), 'rotation-failed.service-event.json'],
    ['Secret Label Updated', events.labelUpdated('AWSCURRENT', 'v2', 'prod/orders-db'), 'secret-label-updated.current.json'],
    [
      'Parameter Store Change',
      parameterChange('arn:aws:ssm:eu-west-1:111122223333:parameter/prod/orders/api-token', 'Update', ORIGIN),
      'parameter-store-change.update.json',
    ],
    [
      'ECS Deployment State Change',
      deploymentChange(
        'arn:aws:ecs:eu-west-1:111122223333:service/prod/orders-api',
        'SERVICE_DEPLOYMENT_COMPLETED',
        'ecs-svc/1',
        ORIGIN,
        'done',
      ),
      'ecs-deployment.completed.json',
    ],
    [
      'CodeDeploy Deployment State-change Notification',
      codeDeployChange('AppECS-prod-orders-api', 'DgpECS-prod-orders-api', 'd-KD7CW5ZZ1', 'SUCCESS', ORIGIN),
      'codedeploy-deployment.success.json',
    ],
    ['Scheduled Event', scheduledEvent(ORIGIN), 'non-matching/scheduled-event.json'],
  ])('builds %s in the shape of its fixture', (_name, built, fixture) => {
    expect(shape(built)).toEqual(shape(loadEvent(fixture)));
  });
});

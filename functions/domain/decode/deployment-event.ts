import { MalformedEventError } from '../errors';
import { isServiceArn, parseArn } from '../identity/arn';
import { quoted, textField } from '../text';

/** An ECS "ECS Deployment State Change" event, decoded: which service, which deployment, what happened. */
export interface DeploymentChange {
  serviceArn: string;
  /** SERVICE_DEPLOYMENT_IN_PROGRESS, SERVICE_DEPLOYMENT_COMPLETED or SERVICE_DEPLOYMENT_FAILED. */
  eventName?: string;
  deploymentId?: string;
  /** ECS's own words, e.g. why a deployment failed. */
  reason?: string;
  /** The account and region the event comes from (EventBridge sets them; a sender cannot choose them). */
  account?: string;
  region?: string;
}

type Json = Record<string, unknown>;

/** True when the input is an event from ECS (source `aws.ecs`), of whatever kind. */
export function isEcsEvent(input: unknown): boolean {
  return isObject(input) && input.source === 'aws.ecs';
}

/**
 * Decodes an "ECS Deployment State Change" event (source aws.ecs, the service ARN in resources).
 * Throws {@link MalformedEventError} for any other ECS event or a missing service ARN.
 */
export function decodeDeploymentEvent(input: unknown): DeploymentChange {
  const event = isObject(input) ? input : {};
  if (event['detail-type'] !== 'ECS Deployment State Change') {
    throw new MalformedEventError(`expected an ECS Deployment State Change event, got ${quoted(String(event['detail-type']), 100)}`);
  }
  const resources = Array.isArray(event.resources) ? event.resources : [];
  const serviceArn = resources.find((r): r is string => typeof r === 'string' && isServiceArn(r));
  if (!serviceArn) throw new MalformedEventError('ECS Deployment State Change event without a service ARN in resources');
  const detail = isObject(event.detail) ? event.detail : {};
  // ECS's words end up in reports, events and logs: escaped, and cut to a sane length.
  const text = (value: unknown) => textField(value, 2000);
  return {
    serviceArn,
    ...(text(detail.eventName) ? { eventName: text(detail.eventName) } : {}),
    ...(text(detail.deploymentId) ? { deploymentId: text(detail.deploymentId) } : {}),
    ...(text(detail.reason) ? { reason: text(detail.reason) } : {}),
    ...(textField(event.account, 20) ? { account: textField(event.account, 20) } : {}),
    ...(textField(event.region, 30) ? { region: textField(event.region, 30) } : {}),
  };
}

/**
 * Why a deployment event is not this deployment's to act on: it comes from another account or
 * region, or names a service of another account or region. ECS sends a service's events to its
 * own account's bus only, and an owner account may put only secret events on it (its bus policy),
 * so such an event was forged or misrouted. Undefined for an event of this account and region.
 */
export function foreignDeployment(change: DeploymentChange, self: { account: string; region?: string }): string | undefined {
  const service = parseArn(change.serviceArn);
  const where = `${self.account}${self.region ? ` in ${self.region}` : ''}`;
  if (change.account !== undefined && change.account !== self.account)
    return `ECS deployment event from account ${change.account}, not this account (${where})`;
  if (service?.account !== self.account)
    return `ECS deployment event for ${change.serviceArn}, a service of another account than this one (${where})`;
  if (self.region !== undefined && (service.region !== self.region || (change.region !== undefined && change.region !== self.region)))
    return `ECS deployment event for ${change.serviceArn} from ${change.region ?? service.region}, not this region (${where})`;
  return undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { MalformedEventError } from '../errors';
import { isServiceArn } from '../identity/arn';
import { quoted, textField } from '../text';

/** An ECS "ECS Deployment State Change" event, decoded: which service, which deployment, what happened. */
export interface DeploymentChange {
  serviceArn: string;
  /** SERVICE_DEPLOYMENT_IN_PROGRESS, SERVICE_DEPLOYMENT_COMPLETED or SERVICE_DEPLOYMENT_FAILED. */
  eventName?: string;
  deploymentId?: string;
  /** ECS's own words, e.g. why a deployment failed. */
  reason?: string;
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
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

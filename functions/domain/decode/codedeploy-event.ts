import { MalformedEventError } from '../errors';
import { quoted, textField } from '../text';

/** The detail-type of CodeDeploy's deployment events on EventBridge (sent directly, best effort). */
export const CODEDEPLOY_DEPLOYMENT_EVENT = 'CodeDeploy Deployment State-change Notification';

/**
 * A CodeDeploy "CodeDeploy Deployment State-change Notification" event, decoded. Only a hint:
 * what the deployment's state is, and which group and service it deploys, is read from
 * CodeDeploy before anything moves (an event can be late, duplicated, or sent on by another account).
 */
export interface CodeDeployChange {
  deploymentId: string;
  application?: string;
  group?: string;
  /** START, SUCCESS, FAILURE, STOP, READY, as the event says. */
  state?: string;
  /** The account the event says it comes from. */
  account?: string;
}

type Json = Record<string, unknown>;

/** True when the input is an event from CodeDeploy (source `aws.codedeploy`), of whatever kind. */
export function isCodeDeployEvent(input: unknown): boolean {
  return isObject(input) && input.source === 'aws.codedeploy';
}

/**
 * Decodes a CodeDeploy deployment state-change event (source aws.codedeploy, the deployment in
 * detail.deploymentId). Throws {@link MalformedEventError} for any other CodeDeploy event or a
 * missing deployment id.
 */
export function decodeCodeDeployEvent(input: unknown): CodeDeployChange {
  const event = isObject(input) ? input : {};
  if (event['detail-type'] !== CODEDEPLOY_DEPLOYMENT_EVENT) {
    throw new MalformedEventError(`expected a ${CODEDEPLOY_DEPLOYMENT_EVENT} event, got ${quoted(String(event['detail-type']), 100)}`);
  }
  const detail = isObject(event.detail) ? event.detail : {};
  // CodeDeploy's words end up in reports, events and logs: escaped, and cut to a sane length.
  const text = (value: unknown) => textField(value, 200);
  const deploymentId = text(detail.deploymentId);
  if (!deploymentId) throw new MalformedEventError(`${CODEDEPLOY_DEPLOYMENT_EVENT} event without detail.deploymentId`);
  return {
    deploymentId,
    ...(text(detail.application) ? { application: text(detail.application) } : {}),
    ...(text(detail.deploymentGroup) ? { group: text(detail.deploymentGroup) } : {}),
    ...(text(detail.state) ? { state: text(detail.state) } : {}),
    ...(textField(event.account, 64) ? { account: textField(event.account, 64) } : {}),
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

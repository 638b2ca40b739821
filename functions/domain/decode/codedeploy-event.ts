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
  /** The account and region the event says it comes from. */
  account?: string;
  region?: string;
}

type Json = Record<string, unknown>;

/** CodeDeploy's deployment ids: `d-` and upper-case letters and digits (`d-KD7CW5ZZ1`). */
const DEPLOYMENT_ID = /^d-[A-Z0-9]{1,20}$/;

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
  const deploymentId = typeof detail.deploymentId === 'string' ? detail.deploymentId : undefined;
  if (!deploymentId) throw new MalformedEventError(`${CODEDEPLOY_DEPLOYMENT_EVENT} event without detail.deploymentId`);
  if (!DEPLOYMENT_ID.test(deploymentId))
    throw new MalformedEventError(
      `${CODEDEPLOY_DEPLOYMENT_EVENT} event whose deploymentId ${quoted(deploymentId, 60)} is not a CodeDeploy deployment id`,
    );
  return {
    deploymentId,
    ...(text(detail.application) ? { application: text(detail.application) } : {}),
    ...(text(detail.deploymentGroup) ? { group: text(detail.deploymentGroup) } : {}),
    ...(text(detail.state) ? { state: text(detail.state) } : {}),
    ...(textField(event.account, 20) ? { account: textField(event.account, 20) } : {}),
    ...(textField(event.region, 64) ? { region: textField(event.region, 64) } : {}),
  };
}

/**
 * Why a CodeDeploy deployment event is not one this deployment may act on: it says it comes from
 * another account (CodeDeploy deploys this account's services; a forwarded event keeps its
 * sender's account), or from another region than the one configured. Undefined when it may.
 */
export function foreignCodeDeployEvent(change: CodeDeployChange, self: { account: string; region?: string }): string | undefined {
  const where = `${self.account}${self.region ? ` in ${self.region}` : ''}`;
  if (change.account !== undefined && change.account !== self.account)
    return `CodeDeploy deployment event from account ${change.account}, not this account (${where})`;
  if (self.region !== undefined && change.region !== undefined && change.region !== self.region)
    return `CodeDeploy deployment event from ${change.region}, not this region (${where})`;
  return undefined;
}

/** What the event's state says of the deployment's end (only a hint: CodeDeploy is asked before anything moves). */
export function endOf(state: string | undefined): 'COMPLETED' | 'FAILED' | undefined {
  if (state === 'SUCCESS') return 'COMPLETED';
  return state === 'FAILURE' || state === 'STOP' ? 'FAILED' : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

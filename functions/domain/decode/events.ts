import { MalformedEventError } from '../errors';
import { checkTarget, parseTarget, type Target } from '../identity/target';
import { escapeControl, textField } from '../text';

/** What set a run off, as it appears in the report. */
export interface Trigger {
  /** `aws.secretsmanager`, `aws.ssm`, or `manual`. */
  source: string;
  detailType?: string;
  /** CloudTrail eventName, or the native event's detail-type. */
  eventName?: string;
  eventId?: string;
  time?: string;
  account?: string;
}

/**
 * What an event or a request asks for: a secret (or parameter) to reconcile, or a reason to do
 * nothing. Events only say which secret to look at; what to do is decided from its state, so an
 * event that moved nothing (a value staged AWSPENDING, a description edit, a duplicate, a late
 * or out-of-order delivery) simply finds nothing due.
 */
export type Signal =
  | {
      action: 'check';
      /** The secret or parameter to reconcile; its state is read with DescribeSecret / DescribeParameters. */
      target: Target;
      trigger: Trigger;
    }
  /**
   * Nothing to redeploy, but the consumers must be told: a rotation failed or was abandoned (they
   * keep the old value), or the secret is being deleted (their new tasks will fail to start).
   */
  | { action: 'warn'; warning: 'rotation-failed' | 'deleted'; target: Target; trigger: Trigger }
  | { action: 'ignore'; reason: string; target?: Target; trigger: Trigger };

/** The API calls that can create a version or move a stage. */
const CHANGING_CALLS = new Set(['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage', 'RotateSecret']);

/**
 * The service events after which a copy of the secret may hold a new value: a rotation that
 * succeeded, and a replication that ended (succeeded, or failed: the reconcile then reads the
 * `Failed` status and warns). Both are checks: whichever copy the event names, in whichever
 * region it arrives, the reconcile reads that region's copy and its primary's state.
 * `ReplicationStarted` lands nothing and is ignored; the replica's re-checks cover a slow one.
 */
const LANDING_EVENTS = new Set(['RotationSucceeded', 'ReplicationSucceeded', 'ReplicationFailed']);

type Json = Record<string, unknown>;

/**
 * Decodes one EventBridge event (Secrets Manager CloudTrail API calls and service events, the
 * native "Secret Label Updated" event, SSM "Parameter Store Change") into a {@link Signal}.
 * A signal names a secret (name or ARN) or an SSM parameter (by ARN).
 * Throws {@link MalformedEventError} when the input is not an event of a documented shape.
 */
export function decodeEvent(input: unknown): Signal {
  if (!isObject(input)) throw new MalformedEventError('event must be a JSON object');
  const source = input.source;
  const detailType = input['detail-type'];
  const detail = input.detail;
  if (typeof source !== 'string' || typeof detailType !== 'string' || !isObject(detail)) {
    throw new MalformedEventError('event must have "source", "detail-type" and an object "detail"');
  }
  const trigger: Trigger = {
    source,
    detailType,
    eventId: textField(input.id),
    time: textField(input.time),
    // Cut: an account id is 12 digits, and a message that names a refused one must stay one line (any cut one is refused too).
    account: textField(input.account, 20),
  };
  // A secret named by name alone is read in the region the event comes from: an event forwarded
  // from the secret's region to its consumers' must not name a namesake in the consumers' region.
  const region = typeof input.region === 'string' && input.region !== '' ? input.region : undefined;
  if (source === 'aws.secretsmanager' && detailType === 'AWS API Call via CloudTrail') return decodeApiCall(detail, trigger, region);
  if (source === 'aws.secretsmanager' && detailType === 'AWS Service Event via CloudTrail')
    return decodeServiceEvent(detail, trigger, region);
  if (source === 'aws.secretsmanager' && detailType === 'Secret Label Updated') return decodeLabelUpdated(input, detail, trigger, region);
  if (source === 'aws.ssm' && detailType === 'Parameter Store Change') return decodeParameterChange(input, detail, trigger);
  return ignore(trigger, `not a secret change event (${source} / ${detailType})`);
}

function decodeApiCall(detail: Json, base: Trigger, region: string | undefined): Signal {
  const eventName = textField(detail.eventName);
  const trigger = { ...base, eventName };
  if (!eventName) throw new MalformedEventError('CloudTrail event without detail.eventName');
  const request = isObject(detail.requestParameters) ? detail.requestParameters : {};
  const response = isObject(detail.responseElements) ? detail.responseElements : {};
  // Responses before Feb 2024 spelled the field "aRN"; UpdateSecret's may be null altogether.
  const secretId = textField(response.arn) ?? textField(response.aRN) ?? textField(request.secretId);
  const errorCode = textField(detail.errorCode);
  if (errorCode) return ignore(trigger, `the ${eventName} call failed (${errorCode}): nothing changed`, secretId, region);
  if (eventName === 'DeleteSecret') {
    if (!secretId) throw new MalformedEventError('DeleteSecret event names no secret (requestParameters.secretId)');
    return { action: 'warn', warning: 'deleted', target: targetIn(secretId, region), trigger };
  }
  if (eventName === 'RestoreSecret')
    return ignore(trigger, 'RestoreSecret is never a reason to redeploy: the value did not change', secretId, region);
  if (!CHANGING_CALLS.has(eventName)) return ignore(trigger, `${eventName} does not change a secret's value`, secretId, region);
  if (!secretId) throw new MalformedEventError(`${eventName} event names no secret (requestParameters.secretId)`);
  return { action: 'check', target: targetIn(secretId, region), trigger };
}

function decodeServiceEvent(detail: Json, base: Trigger, region: string | undefined): Signal {
  const eventName = textField(detail.eventName);
  const trigger = { ...base, eventName };
  const extra = isObject(detail.additionalEventData) ? detail.additionalEventData : {};
  const secretId = textField(extra.SecretId);
  if ((eventName === 'RotationFailed' || eventName === 'RotationAbandoned') && secretId) {
    return { action: 'warn', warning: 'rotation-failed', target: targetIn(secretId, region), trigger };
  }
  if (eventName === undefined || !LANDING_EVENTS.has(eventName))
    return ignore(trigger, `${eventName ?? 'service event'} does not make a new value live`, secretId, region);
  if (!secretId) throw new MalformedEventError(`${eventName} event without detail.additionalEventData.SecretId`);
  return { action: 'check', target: targetIn(secretId, region), trigger };
}

function decodeLabelUpdated(event: Json, detail: Json, base: Trigger, region: string | undefined): Signal {
  const trigger = { ...base, eventName: 'Secret Label Updated' };
  const resources = Array.isArray(event.resources) ? event.resources : [];
  const secretId = textField(resources[0]);
  if (!secretId || !textField(detail.labelUpdated))
    throw new MalformedEventError('Secret Label Updated event needs resources[0] and detail.labelUpdated');
  return { action: 'check', target: targetIn(secretId, region), trigger };
}

function decodeParameterChange(event: Json, detail: Json, base: Trigger): Signal {
  const operation = textField(detail.operation);
  const trigger = { ...base, eventName: operation };
  const resources = Array.isArray(event.resources) ? event.resources : [];
  const parameterArn = textField(resources[0]);
  if (!operation || !parameterArn?.includes(':parameter/')) {
    throw new MalformedEventError('Parameter Store Change event needs detail.operation and the parameter ARN in resources[0]');
  }
  // A Create or Update that failed its validation (an aws:ec2:image value is checked after the call) changed nothing.
  if (detail.exception !== undefined)
    return ignore(trigger, `the ${operation} failed (${textField(detail.exception) ?? 'exception'}): nothing changed`, parameterArn);
  if (operation === 'Create' || operation === 'Update') return { action: 'check', target: targetIn(parameterArn), trigger };
  if (operation === 'Delete')
    return ignore(trigger, 'a deleted parameter is never a reason to redeploy (new tasks would fail to start)', parameterArn);
  return ignore(trigger, `${operation} does not change the value that unpinned references read`, parameterArn);
}

function ignore(trigger: Trigger, reason: string, secretId?: string, region?: string): Signal {
  const target = secretId === undefined ? undefined : parseTarget(secretId, region);
  return { action: 'ignore', reason: escapeControl(reason), trigger, ...(target ? { target } : {}) };
}

/**
 * The secret or parameter an event names (a plain name: in `region`, the event's); an id that
 * breaks the grammar, or a name with a region that is none, makes the event malformed.
 */
function targetIn(id: string, region?: string): Target {
  const checked = checkTarget(id, region);
  if ('problem' in checked) throw new MalformedEventError(`event names ${checked.problem}`);
  return checked.target;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

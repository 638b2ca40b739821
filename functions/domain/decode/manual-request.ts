import { MalformedEventError } from '../errors';
import { checkTarget, type Target } from '../identity/target';
import type { Signal } from './events';

/** A manual request as the redeploy-secret function and the CLI accept it, decoded. */
export interface ManualRequest {
  target: Target;
  dryRun?: boolean;
  force?: boolean;
  /** Redeploy now, whatever the restart windows (a leaked credential). */
  ignoreWindows?: boolean;
}

type Json = Record<string, unknown>;

/**
 * Decodes a manual request `{"secretId": "...", "dryRun": true, "force": false, "ignoreWindows": false}`. Throws
 * {@link MalformedEventError} when it has another shape or names no secret or parameter.
 */
export function decodeManualRequest(input: unknown): ManualRequest {
  if (!isObject(input) || typeof input.secretId !== 'string' || input.secretId.trim() === '') {
    throw new MalformedEventError(
      'manual request must be {"secretId": "<name or ARN>", "dryRun"?: boolean, "force"?: boolean, "ignoreWindows"?: boolean}',
    );
  }
  for (const flag of ['dryRun', 'force', 'ignoreWindows'] as const) {
    if (input[flag] !== undefined && typeof input[flag] !== 'boolean') {
      throw new MalformedEventError(`manual request "${flag}" must be true or false`);
    }
  }
  const checked = checkTarget(input.secretId);
  if ('problem' in checked) throw new MalformedEventError(`manual request names ${checked.problem}`);
  return {
    target: checked.target,
    dryRun: input.dryRun as boolean | undefined,
    force: input.force as boolean | undefined,
    ...(input.ignoreWindows !== undefined ? { ignoreWindows: input.ignoreWindows as boolean } : {}),
  };
}

/**
 * Whether a manual request runs dry: as it asks, else as the stack is deployed. A stack deployed
 * with dryRun=true stays dry whatever the request says (its roles may not even call
 * UpdateService): `"dryRun": false` is refused as bad input, with what to do instead.
 */
export function manualDryRun(request: ManualRequest, stackDryRun: boolean): boolean {
  if (stackDryRun && request.dryRun === false) {
    throw new MalformedEventError(
      'manual request "dryRun": false refused: this stack is deployed with dryRun=true, which a request cannot undo ' +
        '(deploy it with dryRun=false to redeploy)',
    );
  }
  return request.dryRun ?? stackDryRun;
}

/** The signal for a manual request: reconcile the secret. */
export function manualSignal(target: Target): Signal {
  return { action: 'check', target, trigger: { source: 'manual' } };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

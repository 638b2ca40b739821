import { escapeControl } from './text';

/**
 * The failures a caller handles differently. Anything else is an ordinary `Error`: it becomes a
 * `failed` outcome when it concerns one service, and exit code 1 when it ends a whole run.
 *
 * Messages are often built from outside text (an event's secret id, an argument): every message
 * of this hierarchy is escaped (control and bidi characters), whoever built it.
 */

/** Base class: every error this service raises on purpose. Keeps `cause`. */
export class RedeployError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(escapeControl(message), options);
    this.name = new.target.name;
  }
}

/**
 * The input cannot be acted on: a malformed event, bad CLI arguments, an unknown secret, a secret
 * of another account. The CLI exits 2; the Lambda handlers fail the invocation with the message.
 */
export class BadInputError extends RedeployError {}

/** The secret or parameter does not exist (or is not visible to this account). */
export class UnknownSecretError extends BadInputError {
  /** Where it was looked for (a region, an account), once said in the message. */
  readonly where?: string;

  constructor(message: string, options?: { cause?: unknown; where?: string }) {
    super(options?.where ? `${message} (in ${options.where})` : message, options);
    if (options?.where) this.where = options.where;
  }
}

/** The secret belongs to another account than the one whose services are managed. */
export class ForeignAccountError extends BadInputError {}

/** An EventBridge event or manual request that does not have the documented shape. */
export class MalformedEventError extends BadInputError {}

/**
 * The configuration or the environment cannot be used: a setting from the environment, missing
 * credentials, an endpoint that does not answer, a missing state table. Not the input's fault:
 * the CLI exits 3.
 */
export class EnvironmentError extends RedeployError {}

/** A configuration value from the environment that cannot be used. */
export class ConfigError extends EnvironmentError {}

/**
 * The DynamoDB state table does not exist. The Lambda handlers fail (the stack creates the
 * table); the CLI stops too, unless told to run without it (`--no-ledger`).
 */
export class StateTableMissingError extends EnvironmentError {}

/**
 * Another index rebuild is in flight (it holds the rebuild's lease): a second one is refused
 * rather than run beside it. The environment's state, not the input's fault: the CLI exits 3.
 */
export class RebuildInProgressError extends EnvironmentError {}

/** ECS (or CodeDeploy) throttled the call: it was not applied, and may be sent again after a pause. */
export class ThrottledError extends RedeployError {}

/** CodeDeploy refused a deployment because the group runs another one: not applied; sent again once that one ended. */
export class GroupBusyError extends RedeployError {}

/**
 * A call whose answer never arrived (timeout, dropped connection, server error): it may or may
 * not have been applied. Never repeat a non-idempotent call after this without checking first.
 */
export class OutcomeUnknownError extends RedeployError {}

/** One line for any error: its name (unless plain `Error`) and its message's first line, escaped. */
export function errorLine(error: unknown): string {
  if (!(error instanceof Error)) return escapeControl(String(error));
  const message = escapeControl(error.message.split('\n')[0]);
  return error.name && error.name !== 'Error' ? `${error.name}: ${message}` : message;
}

/**
 * The failures a caller handles differently. Everything else is an ordinary `Error` and ends
 * up as a `failed` outcome (per service) or exit code 1 (whole run).
 */

/** Base class: every error this service raises on purpose. */
export class RedeployError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The input cannot be acted on: malformed event, bad CLI arguments, unknown secret, a secret of
 * another account. The CLI exits 2; handlers report it instead of retrying it forever.
 */
export class BadInputError extends RedeployError {}

/** The secret does not exist (or is not visible to this account). */
export class UnknownSecretError extends BadInputError {}

/** The secret belongs to another account than the one whose services we manage. */
export class ForeignAccountError extends BadInputError {}

/** An EventBridge event or manual request that does not have the documented shape. */
export class MalformedEventError extends BadInputError {}

/** A configuration value (environment or CLI option) that cannot be used. */
export class ConfigError extends BadInputError {}

/**
 * The DynamoDB state table does not exist. The CLI falls back to a live scan without the
 * exactly-once guard; Lambda handlers let it fail, since there the stack creates the table.
 */
export class StateTableMissingError extends RedeployError {}

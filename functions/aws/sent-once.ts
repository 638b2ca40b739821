import { OutcomeUnknownError, ThrottledError } from '../domain/errors';

/**
 * What the failure of a call sent once (UpdateService, CreateDeployment: neither is idempotent,
 * so the SDK never retries them) means for a retry: the service refused it for throttling (not
 * applied), no answer came (timeout, dropped connection, server error: maybe applied), or it
 * answered with any other error (not applied; returned as it is).
 */
export function classified(error: unknown, operation: string): unknown {
  const e = error as { name?: string; $retryable?: { throttling?: boolean }; $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  // ThrottlingException is ECS's and CodeDeploy's throttling answer, outside their models' error classes: named, or flagged by the SDK.
  if (e.name === 'ThrottlingException' || e.$retryable?.throttling) {
    return new ThrottledError(`${operation} throttled: ${(error as Error).message}`, { cause: error });
  }
  if (status === undefined || status >= 500 || e.$fault === 'server') {
    return new OutcomeUnknownError(`${operation} got no answer (${e.name ?? 'error'}: ${(error as Error).message})`, { cause: error });
  }
  return error;
}

import { errorLine } from '../domain/errors';
import { quoted } from '../domain/text';

/**
 * What an error from the SDK means to whoever ran the command, in one line: the environment is
 * wrong (no credentials, an endpoint that does not answer or is not an AWS API, a refused
 * permission), or AWS failed a call. The SDK's own messages carry internals (a response body,
 * `<!doctype`, hints about hidden fields) that never reach the user as the whole message.
 */
export interface AwsFailure {
  kind: 'environment' | 'aws';
  message: string;
}

/** Where the calls went, to name it in the message. */
export interface Destination {
  endpoint?: string;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNABORTED: 'connection aborted',
};

/** Connection failures after which a request may have reached the service (unlike a refused or unresolved connection). */
const LOST_MID_REQUEST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

/**
 * True when a call may have been applied although no answer says so: the service failed
 * (5xx), or the connection was lost or timed out once the request could have reached it. A
 * conditional write that failed this way is sent again, and its condition then tells.
 */
export function mayHaveBeenApplied(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as SdkError & { $fault?: string };
  const status = e.$metadata?.httpStatusCode;
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) return true;
  // Network and timeout errors come from the HTTP handler, which names them by code or by name, not by class.
  return (e.code !== undefined && LOST_MID_REQUEST.has(e.code)) || e.name === 'TimeoutError' || /socket hang up/i.test(e.message);
}

/** The service refused the credentials or the permission: the caller's environment, not the input. */
const REFUSED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'MissingAuthenticationTokenException',
]);

type SdkError = Error & {
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string };
  $response?: unknown;
};

/**
 * Classifies an SDK error; undefined when the error does not come from the SDK or the network.
 * These errors come from any client, the credential providers and the HTTP handler: no class
 * is shared among them, so their names, codes and messages are what tells them apart.
 */
export function awsFailure(error: unknown, where: Destination = {}): AwsFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as SdkError;
  const endpoint = where.endpoint ? quoted(where.endpoint, 100) : 'AWS';
  const attempts = e.$metadata?.attempts ? ` after ${e.$metadata.attempts} attempt${e.$metadata.attempts === 1 ? '' : 's'}` : '';
  const environment = (message: string): AwsFailure => ({ kind: 'environment', message });

  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message)) {
    return environment('no AWS credentials found (use --profile or AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)');
  }
  if (e.message === 'Region is missing') return environment('no AWS region (use --region, AWS_REGION, or a region in your profile)');
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    return environment(`${endpoint} did not answer in time${attempts} (see --connect-timeout and --read-timeout)`);
  }
  if (e.code && NETWORK_CODES[e.code]) return environment(`cannot reach ${endpoint}${attempts}: ${NETWORK_CODES[e.code]} (${e.code})`);
  if (notAnAwsAnswer(e)) {
    const code = e.$metadata?.httpStatusCode ?? httpStatusOf(e.$response);
    const status = code ? ` (HTTP ${code})` : '';
    return environment(`${endpoint} did not answer like an AWS API${status}: check --endpoint-url or AWS_ENDPOINT_URL`);
  }
  if (REFUSED.has(e.name)) return environment(`AWS refused the call: ${errorLine(shortened(e))}`);
  if (e.$metadata !== undefined) return { kind: 'aws', message: errorLine(shortened(e)) };
  return undefined;
}

/**
 * The names the SDK gives an error when the answer carried no error code: an AWS API always names
 * its errors (header or body), so these come from something else answering at that address.
 */
const NAMELESS = new Set(['Unknown', 'UnknownError', 'NotFound']);

/**
 * An HTTP answer that no AWS API gives, whatever its status and body: a body that is not the
 * protocol's JSON or XML (HTML, empty where an error was due), or an error without an error code.
 * An answer that carries an AWS request id is AWS's, whatever it says.
 */
function notAnAwsAnswer(e: SdkError): boolean {
  if (e.$response === undefined || e.$metadata?.requestId) return false;
  if (e.name === 'SyntaxError' || /deserialization error|XML parse error/i.test(e.message)) return true;
  return NAMELESS.has(e.name) && (e.name !== 'NotFound' || e.message === 'Unknown' || e.message === 'UnknownError');
}

function httpStatusOf(response: unknown): number | undefined {
  const status = (response as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The error with its message cut to a readable length. */
function shortened(error: Error): Error {
  const line = error.message.split('\n')[0];
  if (line.length <= 300) return error;
  return Object.assign(new Error(`${line.slice(0, 300)}…`), { name: error.name });
}

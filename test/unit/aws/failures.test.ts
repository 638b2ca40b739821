import { awsFailure } from '../../../functions/aws/failures';

const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, $metadata: { attempts: 3 }, ...extra });

describe('awsFailure', () => {
  const endpoint = 'http://127.0.0.1:4566';

  // Shapes as the SDK (v3, @smithy/node-http-handler) raises them, seen against these endpoints.
  it.each([
    [
      'no credentials (CredentialsProviderError)',
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'no AWS credentials found (use --profile or AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    ],
    ['no region', new Error('Region is missing'), 'no AWS region (use --region, AWS_REGION, or a region in your profile)'],
    [
      'a socket that stayed silent (TimeoutError)',
      sdkError('TimeoutError', '@smithy/node-http-handler - the request socket timed out after 10000 ms of inactivity'),
      `"${endpoint}" did not answer in time after 3 attempts (see --connect-timeout and --read-timeout)`,
    ],
    [
      'a refused connection',
      sdkError('Error', 'connect ECONNREFUSED 127.0.0.1:4566', { code: 'ECONNREFUSED' }),
      `cannot reach "${endpoint}" after 3 attempts: connection refused (ECONNREFUSED)`,
    ],
    [
      'a host that does not resolve',
      sdkError('Error', 'getaddrinfo ENOTFOUND x.invalid', { code: 'ENOTFOUND', $metadata: { attempts: 1 } }),
      `cannot reach "${endpoint}" after 1 attempt: host not found (ENOTFOUND)`,
    ],
    [
      'an HTML page where JSON was expected (the SDK quotes "<!doctype")',
      sdkError(
        'SyntaxError',
        'Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
        { $response: {}, $metadata: { httpStatusCode: 200 } },
      ),
      `"${endpoint}" did not answer like an AWS API (HTTP 200): check --endpoint-url or AWS_ENDPOINT_URL`,
    ],
    [
      'refused credentials',
      sdkError('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      'AWS refused the call: UnrecognizedClientException: The security token included in the request is invalid.',
    ],
    [
      'a refused permission',
      sdkError('AccessDeniedException', 'User: x is not authorized to perform: ecs:ListClusters'),
      'AWS refused the call: AccessDeniedException: User: x is not authorized to perform: ecs:ListClusters',
    ],
  ])('classes %s as the environment, in one line without SDK internals', (_label, error, message) => {
    const failure = awsFailure(error, { endpoint });
    expect(failure).toEqual({ kind: 'environment', message });
    expect(failure?.message).not.toMatch(/doctype|\$response|\n/);
  });

  it('names AWS itself when no endpoint was set', () => {
    expect(awsFailure(sdkError('TimeoutError', 'x'))?.message).toBe(
      'AWS did not answer in time after 3 attempts (see --connect-timeout and --read-timeout)',
    );
  });

  it('classes any other service error as a failed call, first line only, cut short', () => {
    const failure = awsFailure(sdkError('ServerException', `${'x'.repeat(400)}\nmore`));
    expect(failure?.kind).toBe('aws');
    expect(failure?.message).toMatch(/^ServerException: x{300}…$/);
  });

  it('leaves errors that do not come from the SDK alone', () => {
    expect(awsFailure(new TypeError('x is undefined'))).toBeUndefined();
    expect(awsFailure('text')).toBeUndefined();
  });
});

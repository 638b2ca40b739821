import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { EXIT, endingOf } from '../../../functions/cli/exit';

/**
 * Whatever answers at the endpoint, if it is not an AWS API, the run ends with exit 3 and one line
 * naming the endpoint and the HTTP status: the real SDK clients (each protocol: JSON, query/XML)
 * against a local server that answers every status with every kind of body.
 */
const BODIES: Record<string, { type: string; body: string }> = {
  empty: { type: 'text/plain', body: '' },
  HTML: { type: 'text/html', body: '<!doctype html><html><body><h1>Not here</h1></body></html>' },
  'JSON without an error code': { type: 'application/json', body: '{"message":"Not Found"}' },
  'other JSON': { type: 'application/json', body: '{"error":"nope","status":1}' },
};
const STATUSES = [400, 403, 404, 405, 500, 501, 502, 503];

let server: Server;
let endpoint: string;
let answer = { status: 404, ...BODIES.empty };

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'content-type': answer.type });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const config = () => ({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
const CALLS: Record<string, () => Promise<unknown>> = {
  'DynamoDB DescribeTable': () => new DynamoDBClient(config()).send(new DescribeTableCommand({ TableName: 't' })),
  'STS GetCallerIdentity': () => new STSClient(config()).send(new GetCallerIdentityCommand({})),
  'Secrets Manager DescribeSecret': () => new SecretsManagerClient(config()).send(new DescribeSecretCommand({ SecretId: 's' })),
  'SSM DescribeParameters': () => new SSMClient(config()).send(new DescribeParametersCommand({})),
  'ECS ListClusters': () => new ECSClient(config()).send(new ListClustersCommand({})),
};

const cases = STATUSES.flatMap((status) => Object.keys(BODIES).map((body) => [status, body] as const));

describe.each(cases)('an endpoint that answers HTTP %i with a body %s', (status, body) => {
  it.each(Object.keys(CALLS))('%s: exit 3, one line naming the endpoint and the status', async (call) => {
    answer = { status, ...BODIES[body] };
    const error = await CALLS[call]().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    const ending = endingOf(error, { endpoint });
    expect(ending).toEqual({
      code: EXIT.environment,
      message: `"${endpoint}" did not answer like an AWS API (HTTP ${status}): check --endpoint-url or AWS_ENDPOINT_URL`,
    });
  });
});

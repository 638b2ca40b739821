/**
 * What the adapters rely on when they pass an optional member as it is (`nextToken: pageToken`)
 * instead of spreading it in only when set: the SDK's serializers leave an undefined member out of
 * the request, for every protocol used here, and the state table's DocumentClient (built with
 * removeUndefinedValues) leaves out undefined attributes at any depth. The requests are read at
 * the wire, from clients built as the adapters build them, and never sent.
 */
import { ListServiceDeploymentsCommand, ListServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { buildClients } from '../../../functions/aws/clients';
import { loadConfig } from '../../../functions/config';

type Request = { body?: unknown; query?: Record<string, unknown> };
type Stack = { add(middleware: unknown, options: { step: 'finalizeRequest'; name: string }): void };

/** The clients of the adapters, each answering every call itself with what the request carried. */
function capturingClients() {
  const sent: Request[] = [];
  const instrument = (client: { middlewareStack: unknown }) =>
    (client.middlewareStack as Stack).add(
      () => async (args: { request: Request }) => {
        sent.push(args.request);
        return { response: { statusCode: 200, headers: {} }, output: { $metadata: {} } };
      },
      { step: 'finalizeRequest', name: 'captureRequest' },
    );
  const clients = buildClients(
    loadConfig({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }),
    instrument,
    { accessKeyId: 'testing', secretAccessKey: 'testing' },
  );
  const body = async (send: () => Promise<unknown>) => {
    await send();
    const request = sent[sent.length - 1];
    const raw = request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : String(request.body ?? '');
    return { text: raw, query: request.query ?? {} };
  };
  return { clients, body };
}

describe('an undefined input member', () => {
  const { clients, body } = capturingClients();
  const json = async (send: () => Promise<unknown>) => JSON.parse((await body(send)).text);

  it.each([
    [
      'ECS (JSON 1.1) ListServices',
      () => clients.ecs.send(new ListServicesCommand({ cluster: 'c', maxResults: 100, nextToken: undefined })),
      {
        cluster: 'c',
        maxResults: 100,
      },
    ],
    [
      'ECS ListServiceDeployments',
      () => clients.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'c', service: 's', nextToken: undefined })),
      { cluster: 'c', service: 's' },
    ],
    [
      'ECS RegisterTaskDefinition, a nested member',
      () =>
        clients.ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'f',
            containerDefinitions: [{ name: 'a', secrets: undefined, repositoryCredentials: undefined }],
          }),
        ),
      { family: 'f', containerDefinitions: [{ name: 'a' }] },
    ],
    [
      'Secrets Manager (JSON 1.1) ListSecretVersionIds',
      () => clients.secretsIn().send(new ListSecretVersionIdsCommand({ SecretId: 'x', NextToken: undefined })),
      { SecretId: 'x' },
    ],
    [
      'SSM (JSON 1.1) DescribeParameters',
      () =>
        clients
          .ssmIn()
          .send(
            new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: ['/a'], Option: undefined }], NextToken: undefined }),
          ),
      { ParameterFilters: [{ Key: 'Name', Values: ['/a'] }] },
    ],
    [
      'EventBridge (JSON 1.1) PutEvents',
      () =>
        clients.events.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: undefined }] })),
      { Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] },
    ],
  ])('is left out of the request: %s', async (_what, send, expected) => {
    expect(await json(send)).toEqual(expected);
  });

  it('is left out of a query-protocol request (STS AssumeRole) and of a REST request (Lambda Invoke)', async () => {
    const assumed = await body(() =>
      clients.sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::1:role/r', RoleSessionName: 'n', ExternalId: undefined })),
    );
    expect(assumed.text).toBe('Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=n');
    const invoked = await body(() =>
      clients.lambda.send(
        new InvokeCommand({ FunctionName: 'f', InvocationType: 'Event', Payload: Buffer.from('{}'), Qualifier: undefined }),
      ),
    );
    expect(invoked.query).toEqual({});
  });

  it('is left out by the state table client, in items at any depth and in expression values', async () => {
    const put = await json(() =>
      clients.dynamo.send(new PutCommand({ TableName: 't', Item: { pk: 'a', gone: undefined, nested: { x: 1, gone: undefined } } })),
    );
    expect(put.Item).toEqual({ pk: { S: 'a' }, nested: { M: { x: { N: '1' } } } });
    const query = await json(() =>
      clients.dynamo.send(
        new QueryCommand({
          TableName: 't',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'a', ':prefix': undefined },
          ProjectionExpression: undefined,
        }),
      ),
    );
    expect(query).toEqual({ TableName: 't', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'a' } } });
  });
});

describe('an undefined client setting', () => {
  it('is the SDK default, as if left out: no region, profile or endpoint configured', async () => {
    const { ecs } = buildClients(loadConfig({ AWS_REGION: 'eu-west-1' }));
    expect(await ecs.config.region()).toBe('eu-west-1');
    expect(ecs.config.profile).toBeUndefined();
    expect(ecs.config.isCustomEndpoint).toBe(false);
    expect(typeof ecs.config.credentials).toBe('function');
  });
});

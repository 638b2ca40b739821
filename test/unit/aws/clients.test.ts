import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { buildClients } from '../../../functions/aws/clients';
import { loadConfig } from '../../../functions/config';
import { type SilentServer, startSilentServer } from '../../kit/silent-server';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
let silent: SilentServer;

beforeAll(async () => {
  Object.assign(process.env, CREDENTIALS);
  silent = await startSilentServer();
});

afterAll(() => silent.close());

describe('buildClients', () => {
  // Regression: no timeout was set, so an endpoint that accepted the connection and never
  // answered hung every call for ever.
  it('ends a call to an endpoint that never answers with a TimeoutError, after the configured attempts', async () => {
    const before = silent.connections();
    const config = loadConfig({
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: silent.endpoint,
      READ_TIMEOUT_SECONDS: '1',
      AWS_MAX_ATTEMPTS: '2',
    });
    const started = Date.now();
    const failure = await buildClients(config)
      .sts.send(new GetCallerIdentityCommand({}))
      .then(
        () => undefined,
        (error: Error) => error,
      );
    expect(failure?.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(silent.connections() - before).toBe(2);
  });

  it('gives every client the region, profile and endpoint of the configuration', async () => {
    const config = loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }, { region: 'eu-central-1', profile: 'ops' });
    const clients = buildClients(config);
    for (const client of [clients.ecs, clients.secretsIn(), clients.sts]) {
      expect(await client.config.region()).toBe('eu-central-1');
      expect(client.config.profile).toBe('ops');
      expect((await client.config.endpoint?.())?.hostname).toBe('127.0.0.1');
    }
  });

  it('builds the clients of another region on first use, once', async () => {
    const clients = buildClients(loadConfig({ AWS_REGION: 'eu-west-1' }));
    expect(await clients.secretsIn('us-east-1').config.region()).toBe('us-east-1');
    expect(clients.secretsIn('us-east-1')).toBe(clients.secretsIn('us-east-1'));
    expect(clients.secretsIn()).toBe(clients.secretsIn('eu-west-1'));
  });
});

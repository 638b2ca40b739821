import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeEvent } from '../../functions/domain/decode/events';
import { type Emulator, handle, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { parameterChange } from '../kit/events';
import { createClusters, createService, emulatorClientConfig, primaryDeployments, registerTaskDefinition } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

let emulator: Emulator;
let cluster: string;
const TOKEN = '/prod/orders/api-token';
const TOKEN_ARN = `arn:aws:ssm:${REGION}:${MOTO_ACCOUNT}:parameter${TOKEN}`;

beforeAll(async () => {
  emulator = await startEmulator();
  const ssm = new SSMClient(emulatorClientConfig(emulator.moto.endpoint, REGION));
  await ssm.send(new PutParameterCommand({ Name: TOKEN, Value: 'one', Type: 'SecureString' }));
  await ssm.send(new PutParameterCommand({ Name: '/prod/other', Value: 'x', Type: 'SecureString' }));
  [cluster] = await createClusters(emulator.ecs, ['params']);
  const byName = await registerTaskDefinition(emulator.ecs, 'by-name', [{ name: 'app', secrets: [{ name: 'TOKEN', valueFrom: TOKEN }] }]);
  const byArn = await registerTaskDefinition(emulator.ecs, 'by-arn', [
    { name: 'app', logSecrets: [{ name: 'token', valueFrom: TOKEN_ARN }] },
  ]);
  const other = await registerTaskDefinition(emulator.ecs, 'other', [
    { name: 'app', secrets: [{ name: 'OTHER', valueFrom: '/prod/other' }] },
  ]);
  for (const [name, taskDefinition] of [
    ['by-name', byName],
    ['by-arn', byArn],
    ['other', other],
  ]) {
    await createService(emulator.ecs, { cluster, name, taskDefinition });
  }
  await createStateTable(emulator.ports().table);
  await rebuildIndex(emulator.ports());
  await ssm.send(new PutParameterCommand({ Name: TOKEN, Value: 'two', Type: 'SecureString', Overwrite: true }));
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** The documented Parameter Store Change event, for the emulator's parameter. */
function parameterUpdated() {
  return parameterChange(TOKEN_ARN, 'Update', { account: MOTO_ACCOUNT, region: REGION });
}

describe('SSM parameters against moto_server', () => {
  it('redeploys the services that read an updated parameter by name or ARN, once per parameter version', async () => {
    const before = await primaryDeployments(emulator.ecs, cluster, ['by-name', 'by-arn', 'other']);

    const report = await handle(emulator.ports(), decodeEvent(parameterUpdated()));
    const again = await handle(emulator.ports(), decodeEvent(parameterUpdated()));

    expect(report.secret).toEqual({ arn: TOKEN_ARN, name: TOKEN, versionId: '2', kind: 'parameter' });
    expect(report.services.map((s) => [s.serviceName, s.outcome]).sort()).toEqual([
      ['by-arn', 'redeployed'],
      ['by-name', 'redeployed'],
    ]);
    for (const service of again.services) expect(service.reason).toMatch(/^up to date: runs version 2, by deployment ecs-svc\//);
    const after = await primaryDeployments(emulator.ecs, cluster, ['by-name', 'by-arn', 'other']);
    expect(after.get('by-name')).not.toBe(before.get('by-name'));
    expect(after.get('by-arn')).not.toBe(before.get('by-arn'));
    expect(after.get('other')).toBe(before.get('other'));
  });

  it('refuses a parameter that does not exist', async () => {
    const event = { ...parameterUpdated(), resources: [`arn:aws:ssm:${REGION}:${MOTO_ACCOUNT}:parameter/prod/missing`] };
    await expect(handle(emulator.ports(), decodeEvent(event))).rejects.toThrow('SSM parameter not found: /prod/missing');
  });
});

import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { awsSecretStore } from '../../../functions/aws/secrets';
import { UnknownSecretError } from '../../../functions/domain/errors';
import { parseSecretsManagerRef } from '../../../functions/domain/identity/arn';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { HOME, secretArn } from '../../kit/factories';
import { testPorts } from '../../kit/ports';

const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const ARN = secretArn('prod/db-AbCdEf');
const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });

beforeEach(() => {
  sm.reset();
  ssm.reset();
});

const ref = (text: string) => parseSecretsManagerRef(text, HOME) as NonNullable<ReturnType<typeof parseSecretsManagerRef>>;

describe('the secrets port on Secrets Manager and SSM', () => {
  it('describes a secret: its stages, never its value', async () => {
    sm.on(DescribeSecretCommand).resolves({ ARN, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'] } });
    expect(await testPorts().secrets.describe(parseTarget('prod/db') as Target)).toEqual({
      kind: 'secret',
      arn: ARN,
      name: 'prod/db',
      versionIdsToStages: { v2: ['AWSCURRENT'] },
      deletedDate: undefined,
    });
  });

  describe('replication facts, from DescribeSecret alone (the SDK shapes)', () => {
    const PRIMARY = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf';
    const lastRead = new Date('2026-11-20T08:00:00Z');

    it("carries a primary's replicas and their status, dates as ISO text", async () => {
      sm.on(DescribeSecretCommand).resolves({
        ARN: PRIMARY,
        Name: 'prod/db',
        VersionIdsToStages: { v2: ['AWSCURRENT'] },
        PrimaryRegion: 'us-east-1',
        ReplicationStatus: [
          {
            Region: 'eu-west-1',
            KmsKeyId: 'alias/aws/secretsmanager',
            Status: 'InSync',
            StatusMessage: 'Replication succeeded',
            LastAccessedDate: lastRead,
          },
          { Region: 'ap-southeast-2', Status: 'Failed', StatusMessage: 'Secret with this name already exists in this region' },
          { Region: 'eu-central-1', Status: 'InProgress' },
        ],
      });
      const state = await testPorts().secrets.describe(parseTarget(PRIMARY) as Target);
      expect(state).toMatchObject({ primaryRegion: 'us-east-1' });
      expect(state.replicationStatus).toEqual([
        {
          region: 'eu-west-1',
          status: 'InSync',
          statusMessage: 'Replication succeeded',
          kmsKeyId: 'alias/aws/secretsmanager',
          lastAccessedDate: '2026-11-20T08:00:00.000Z',
        },
        { region: 'ap-southeast-2', status: 'Failed', statusMessage: 'Secret with this name already exists in this region' },
        { region: 'eu-central-1', status: 'InProgress' },
      ]);
    });

    it("carries a replica's PrimaryRegion, read on the replica region's client", async () => {
      sm.on(DescribeSecretCommand).callsFake(async (input, getClient) => {
        const region = await (getClient() as SecretsManagerClient).config.region();
        if (region !== 'eu-west-1' || input.SecretId !== ARN) throw notFound();
        return { ARN, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'] }, PrimaryRegion: 'us-east-1' };
      });
      const state = await testPorts().secrets.describe(parseTarget(ARN) as Target);
      expect(state).toMatchObject({ arn: ARN, primaryRegion: 'us-east-1' });
      expect(state.replicationStatus).toBeUndefined();
    });

    it('keeps a status the SDK does not know, and leaves out an entry without a region', async () => {
      sm.on(DescribeSecretCommand).resolves({
        ARN: PRIMARY,
        Name: 'prod/db',
        ReplicationStatus: [{ Region: 'eu-west-1', Status: 'Pending' as never }, { Status: 'InSync' }, { Region: 'eu-central-1' }],
      });
      const state = await testPorts().secrets.describe(parseTarget(PRIMARY) as Target);
      expect(state.replicationStatus).toEqual([
        { region: 'eu-west-1', status: 'Pending' },
        { region: 'eu-central-1', status: 'unknown' },
      ]);
    });

    it('has no replication facts for a secret never replicated', async () => {
      sm.on(DescribeSecretCommand).resolves({ ARN, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'] } });
      const state = await testPorts().secrets.describe(parseTarget(ARN) as Target);
      expect(state.primaryRegion).toBeUndefined();
      expect(state.replicationStatus).toBeUndefined();
    });
  });

  it('describes a parameter by its version number, as a secret whose AWSCURRENT is that version', async () => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/prod/token', Version: 4 }] });
    const target = parseTarget('arn:aws:ssm:eu-west-1:111122223333:parameter/prod/token') as Target;
    expect(await testPorts().secrets.describe(target)).toMatchObject({
      kind: 'parameter',
      name: '/prod/token',
      versionIdsToStages: { '4': ['AWSCURRENT'] },
    });
  });

  it('calls an unknown secret or parameter bad input', async () => {
    sm.on(DescribeSecretCommand).rejects(notFound());
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [] });
    const ports = testPorts();
    await expect(ports.secrets.describe(parseTarget('prod/nope') as Target)).rejects.toThrow(UnknownSecretError);
    await expect(ports.secrets.describe(parseTarget('arn:aws:ssm:eu-west-1:111122223333:parameter/nope') as Target)).rejects.toThrow(
      UnknownSecretError,
    );
  });

  /** `prod/db` exists in us-east-1 too, as another secret: each region's client answers with its own. */
  function prodDbInUsEast1(): string {
    const remote = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-XyZ123';
    sm.on(DescribeSecretCommand).callsFake(async (_input, getClient) => {
      const region = await (getClient() as SecretsManagerClient).config.region();
      return region === 'us-east-1' ? { ARN: remote, Name: 'prod/db' } : { ARN, Name: 'prod/db' };
    });
    return remote;
  }

  it("describes a secret named by name alone in the region it came with, on that region's client", async () => {
    const remote = prodDbInUsEast1();
    const { secrets } = testPorts();
    expect((await secrets.describe(parseTarget('prod/db', 'us-east-1') as Target)).arn).toBe(remote);
    expect((await secrets.describe(parseTarget('prod/db') as Target)).arn).toBe(ARN);
  });

  it('keeps the resolutions of two regions apart: the same name in two regions is two secrets', async () => {
    const remote = prodDbInUsEast1();
    const { secrets } = testPorts();
    const inUsEast1 = parseSecretsManagerRef('prod/db', { ...HOME, region: 'us-east-1' }) as NonNullable<
      ReturnType<typeof parseSecretsManagerRef>
    >;
    expect(await secrets.resolve(ref('prod/db'))).toBe(ARN);
    expect(await secrets.resolve(inUsEast1)).toBe(remote);
    expect(await secrets.resolve(ref('prod/db'))).toBe(ARN);
    expect(await secrets.resolve(ref('arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db'))).toBe(remote);
    expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
  });

  it("describes a parameter of another region on that region's SSM client", async () => {
    ssm.on(DescribeParametersCommand).callsFake(async (_input, getClient) => {
      const region = await (getClient() as SSMClient).config.region();
      return { Parameters: [{ Name: '/prod/token', Version: region === 'us-east-1' ? 7 : 1 }] };
    });
    const target = parseTarget('arn:aws:ssm:us-east-1:111122223333:parameter/prod/token') as Target;
    expect((await testPorts().secrets.describe(target)).versionIdsToStages).toEqual({ '7': ['AWSCURRENT'] });
  });

  it('resolves every spelling of a secret with one DescribeSecret', async () => {
    sm.on(DescribeSecretCommand).resolves({ ARN, Name: 'prod/db', VersionIdsToStages: {} });
    const { secrets } = testPorts();
    expect(await secrets.resolve(ref('prod/db'))).toBe(ARN);
    expect(await secrets.resolve(ref(secretArn('prod/db')))).toBe(ARN);
    expect(await secrets.resolve(ref(`${ARN}:password::`))).toBe(ARN);
    expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
  });

  // Regression: a warm Lambda cached "unknown secret" for ever, so a secret created after a first
  // lookup was never found again until the container was recycled.
  it('never caches a secret as missing: a secret created later is found', async () => {
    sm.on(DescribeSecretCommand).rejectsOnce(notFound()).resolves({ ARN, Name: 'prod/db', VersionIdsToStages: {} });
    const { secrets } = testPorts();
    expect(await secrets.resolve(ref('prod/db'))).toBeUndefined();
    expect(await secrets.resolve(ref('prod/db'))).toBe(ARN);
  });

  it('looks a secret up again after a failed attempt', async () => {
    sm.on(DescribeSecretCommand).rejectsOnce(new Error('throttled')).resolves({ ARN, Name: 'prod/db', VersionIdsToStages: {} });
    const { secrets } = testPorts();
    await expect(secrets.resolve(ref('prod/db'))).rejects.toThrow('throttled');
    expect(await secrets.resolve(ref('prod/db'))).toBe(ARN);
  });

  describe('describe with readSince', () => {
    const FULL = parseTarget(ARN) as Target;
    let now = Date.parse('2026-11-23T10:00:00Z');
    const clock = { now: () => new Date(now), sleep: async () => undefined };
    const store = () => awsSecretStore({ secretsIn: () => new SecretsManagerClient({ region: 'eu-west-1' }) } as never, clock);

    beforeEach(() => {
      now = Date.parse('2026-11-23T10:00:00Z');
      sm.on(DescribeSecretCommand)
        .resolvesOnce({ ARN, Name: 'prod/db', VersionIdsToStages: { v1: ['AWSCURRENT'] } })
        .resolves({ ARN, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'] } });
    });

    it('answers with the state read while resolving a reference since then: an index rebuild describes each secret once', async () => {
      const secrets = store();
      const started = new Date(now);
      now += 1000;
      await secrets.resolve(ref('prod/db'));
      expect(await secrets.describe(FULL, { readSince: started })).toMatchObject({ versionIdsToStages: { v1: ['AWSCURRENT'] } });
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
    });

    it('asks again for a state read before then, and without readSince', async () => {
      const secrets = store();
      await secrets.resolve(ref('prod/db'));
      now += 1000;
      expect(await secrets.describe(FULL, { readSince: new Date(now) })).toMatchObject({ versionIdsToStages: { v2: ['AWSCURRENT'] } });
      expect(await secrets.describe(FULL)).toMatchObject({ versionIdsToStages: { v2: ['AWSCURRENT'] } });
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 3);
    });

    it('never answers for a secret found missing since', async () => {
      sm.reset();
      sm.on(DescribeSecretCommand)
        .resolvesOnce({ ARN, Name: 'prod/db', VersionIdsToStages: { v1: ['AWSCURRENT'] } })
        .rejectsOnce(notFound())
        .resolves({ ARN, Name: 'prod/db', VersionIdsToStages: { v3: ['AWSCURRENT'] } });
      const secrets = store();
      const started = new Date(now);
      await secrets.describe(FULL);
      await expect(secrets.describe(FULL)).rejects.toThrow(UnknownSecretError);
      expect(await secrets.describe(FULL, { readSince: started })).toMatchObject({ versionIdsToStages: { v3: ['AWSCURRENT'] } });
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 3);
    });
  });
});

import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { assumedOwnerCredentials, ownerRoleArn, REFRESH_MARGIN_MS } from '../../../functions/aws/owner-credentials';

const sts = mockClient(STSClient);
const OWNER = { account: '111111111111', partition: 'aws' };
const HOUR = 3600 * 1000;

let calls = 0;
beforeEach(() => {
  sts.reset();
  calls = 0;
  sts.on(AssumeRoleCommand).callsFake(async () => {
    calls += 1;
    return {
      Credentials: {
        AccessKeyId: `AK${calls}`,
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.parse('2026-12-03T10:00:00Z') + HOUR),
      },
    };
  });
});

describe("an owner account's read role", () => {
  it('is assumed once per owner and shared by every read while its credentials are fresh', async () => {
    let now = Date.parse('2026-12-03T10:00:00Z');
    const provider = assumedOwnerCredentials(new STSClient({}), 'ecs-secret-redeploy-owner-read', () => now);
    const first = provider(OWNER);
    const again = provider(OWNER);
    const all = await Promise.all([first(), first(), again(), again()]);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['AK1']));
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111111111111:role/ecs-secret-redeploy-owner-read',
      RoleSessionName: 'ecs-secret-redeploy',
    });
    now += HOUR - REFRESH_MARGIN_MS - 1000;
    expect((await first()).accessKeyId).toBe('AK1');
    now += 2000;
    expect((await first()).accessKeyId).toBe('AK2');
    await provider({ account: '333333333333', partition: 'aws' })();
    expect(calls).toBe(3);
  });

  it('is assumed again after a failure (a denied call is not kept)', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(new Error('AccessDenied'))
      .resolves({ Credentials: { AccessKeyId: 'AK1', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(HOUR) } });
    const provider = assumedOwnerCredentials(new STSClient({}), 'r', () => 0)(OWNER);
    await expect(provider()).rejects.toThrow('AccessDenied');
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AK1' });
  });

  it('is named in the partition of the secret', () => {
    expect(ownerRoleArn({ account: '111111111111', partition: 'aws-cn' }, 'reader')).toBe('arn:aws-cn:iam::111111111111:role/reader');
  });
});

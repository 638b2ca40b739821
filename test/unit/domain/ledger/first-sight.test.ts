import { type Evidence, firstSight } from '../../../../functions/domain/ledger/first-sight';
import { NO_VERSION } from '../../../../functions/domain/ledger/record';
import type { SecretState } from '../../../../functions/domain/plan/secret-state';

const T = (minute: number) => new Date(Date.UTC(2026, 10, 20, 8, minute)).toISOString();

/** A secret rotated twice: v1 created at 08:00, v2 at 08:10 (AWSCURRENT), v1 now AWSPREVIOUS; BLUE on v1. */
const secret: SecretState = {
  kind: 'secret',
  arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf',
  name: 'prod/db',
  versionIdsToStages: { v1: ['AWSPREVIOUS', 'BLUE'], v2: ['AWSCURRENT'] },
};
const created = { v1: T(0), v2: T(10) };
const evidence = (deploymentMinute: number | undefined, versionCreated: Record<string, string> = created): Evidence => ({
  versionCreated,
  ...(deploymentMinute === undefined ? {} : { deploymentCreatedAt: T(deploymentMinute) }),
});

/** A parameter at version 4, last modified (version 4 created) at 08:10. */
const parameter: SecretState = {
  kind: 'parameter',
  arn: 'arn:aws:ssm:eu-west-1:123456789012:parameter/prod/url',
  name: '/prod/url',
  versionIdsToStages: { '4': ['AWSCURRENT'] },
};

describe('firstSight: what a consumer first seen runs, from its deployment against the versions', () => {
  it.each<[string, SecretState, string[], Evidence, Record<string, string>, string[]]>([
    ['deployment created after the current version: runs it', secret, ['AWSCURRENT'], evidence(15), { AWSCURRENT: 'v2' }, []],
    ['deployment created the same instant as the version: runs it', secret, ['AWSCURRENT'], evidence(10), { AWSCURRENT: 'v2' }, []],
    ['deployment created before the current version: stale (drift)', secret, ['AWSCURRENT'], evidence(5), {}, ['AWSCURRENT']],
    ['AWSPREVIOUS followed, deployment after the version it holds', secret, ['AWSPREVIOUS'], evidence(5), { AWSPREVIOUS: 'v1' }, []],
    [
      'several stages: the one it is older than is stale, the other recorded',
      secret,
      ['AWSCURRENT', 'AWSPREVIOUS'],
      evidence(5),
      { AWSPREVIOUS: 'v1' },
      ['AWSCURRENT'],
    ],
    ['a custom stage', secret, ['BLUE'], evidence(1), { BLUE: 'v1' }, []],
    ['a stage no version holds: recorded as held by none', secret, ['AWSPENDING'], evidence(15), { AWSPENDING: NO_VERSION }, []],
    ['a stage held by none beside a stale one', secret, ['AWSCURRENT', 'GREEN'], evidence(5), { GREEN: NO_VERSION }, ['AWSCURRENT']],
    ['no deployment creation time: stale, never assumed current', secret, ['AWSCURRENT'], evidence(undefined), {}, ['AWSCURRENT']],
    ['no creation time of the version: stale', secret, ['AWSCURRENT'], evidence(15, { v1: T(0) }), {}, ['AWSCURRENT']],
    ['a parameter modified after its deployment: stale', parameter, ['AWSCURRENT'], evidence(5, { '4': T(10) }), {}, ['AWSCURRENT']],
    [
      'a parameter modified before its deployment: current',
      parameter,
      ['AWSCURRENT'],
      evidence(15, { '4': T(10) }),
      { AWSCURRENT: '4' },
      [],
    ],
    ['no followed stage (every reference pinned): nothing to record', secret, [], evidence(5), {}, []],
  ])('%s', (_label, state, stages, seen, versions, staleStages) => {
    const sight = firstSight(stages, state, seen);
    expect(sight.versions).toEqual(versions);
    expect(sight.stale.map((s) => s.stage)).toEqual(staleStages);
  });

  it('says why a pair is stale, with both times', () => {
    const [stale] = firstSight(['AWSCURRENT'], secret, evidence(5)).stale;
    expect(stale).toEqual({
      stage: 'AWSCURRENT',
      version: 'v2',
      reason: `its deployment (created ${T(5)}) is older than AWSCURRENT (v2, created ${T(10)})`,
    });
  });

  it('judges a stage followed twice once', () => {
    expect(firstSight(['AWSCURRENT', 'AWSCURRENT'], secret, evidence(5)).stale).toHaveLength(1);
  });
});

import { countOutcomes, exitCodeOf, secretIdentity, toReportReference } from '../../../../functions/domain/report/report';
import { DB, report, secretState, serviceReport, smReference, ssmReference, V_CURRENT } from '../../../kit/factories';

describe('exitCodeOf', () => {
  it('is 1 when any service failed', () => {
    expect(exitCodeOf(report([serviceReport('a', 'redeployed'), serviceReport('b', 'failed')]))).toBe(1);
  });

  it('is 0 when every service was redeployed or skipped', () => {
    expect(
      exitCodeOf(report([serviceReport('a', 'redeployed'), serviceReport('b', 'skipped'), serviceReport('c', 'would-redeploy')])),
    ).toBe(0);
  });

  // A service waiting for its wave is not a failure: the rollout goes on in a later run.
  it('is 0 when services are waiting for a later wave', () => {
    expect(exitCodeOf(report([serviceReport('a', 'redeployed'), serviceReport('b', 'waiting')]))).toBe(0);
  });

  it('is 0 when there was nothing to do', () => {
    expect(exitCodeOf(report([]))).toBe(0);
    expect(exitCodeOf(report([], { action: 'ignore', reason: 'DeleteSecret' }))).toBe(0);
  });
});

describe('countOutcomes', () => {
  it('counts services by outcome, with zeros for the rest', () => {
    expect(countOutcomes(report([serviceReport('a', 'skipped'), serviceReport('b', 'skipped'), serviceReport('c', 'failed')]))).toEqual({
      redeployed: 0,
      'would-redeploy': 0,
      waiting: 0,
      skipped: 2,
      failed: 1,
    });
  });

  it('counts services waiting for a later wave', () => {
    expect(countOutcomes(report([serviceReport('a', 'waiting'), serviceReport('b', 'waiting'), serviceReport('c', 'redeployed')]))).toEqual(
      {
        redeployed: 1,
        'would-redeploy': 0,
        waiting: 2,
        skipped: 0,
        failed: 0,
      },
    );
  });
});

describe('toReportReference', () => {
  it('reports where a reference is and what it follows', () => {
    expect(toReportReference(smReference(`${DB}:password:BLUE:`))).toEqual({
      field: 'secrets',
      container: 'app',
      name: 'DB_PASSWORD',
      valueFrom: `${DB}:password:BLUE:`,
      jsonKey: 'password',
      versionStage: 'BLUE',
    });
  });

  it('reports a pinned version id', () => {
    expect(toReportReference(smReference(`${DB}:::${V_CURRENT}`)).versionId).toBe(V_CURRENT);
  });

  it('leaves out fields a reference does not have', () => {
    const reported = toReportReference({
      ...ssmReference('arn:aws:ssm:eu-west-1:111122223333:parameter/share'),
      field: 'fsxWindowsFileServerVolumeConfiguration',
      container: undefined,
      name: undefined,
      volume: 'share',
    });
    expect(reported).toEqual({
      field: 'fsxWindowsFileServerVolumeConfiguration',
      volume: 'share',
      valueFrom: 'arn:aws:ssm:eu-west-1:111122223333:parameter/share',
    });
    expect(Object.keys(reported)).not.toContain('container');
  });
});

describe('secretIdentity', () => {
  it('names a described secret by ARN, name, kind and the version AWSCURRENT holds', () => {
    const state = secretState({ [V_CURRENT]: ['AWSCURRENT'], old: ['AWSPREVIOUS'] });
    expect(secretIdentity(state)).toEqual({ arn: state.arn, name: state.name, versionId: V_CURRENT, kind: state.kind });
  });
});

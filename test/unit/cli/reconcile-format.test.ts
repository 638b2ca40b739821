import type { ReconcileAllSummary } from '../../../functions/app/reconcile-all';
import { scheduleRendering } from '../../../functions/cli/format';
import { reconcileExitCode, reconcileRendering, reconcileRunOf, reconcileRunOfAll } from '../../../functions/cli/reconcile-format';
import { clusterArn, DB, report, secretArn, serviceArn, serviceReport } from '../../kit/factories';

const PAYMENTS = secretArn('prod/payments-Gzdldv');

const reports = [
  report([
    serviceReport('orders-api', 'redeployed', { deploymentId: 'ecs-svc/111', reason: 'runs an older version' }),
    serviceReport('orders-worker', 'waiting', { reason: 'wave 2 waits for wave 1 to complete' }),
    serviceReport('orders-ledger', 'failed', { reason: 'AccessDeniedException: not authorized' }),
    serviceReport('orders-reports', 'skipped', { reason: 'pinned to version id x' }),
  ]),
  report([serviceReport('payments', 'skipped', { cluster: clusterArn('batch'), reason: 'up to date: runs AWSCURRENT=v1' })], {
    secret: { arn: PAYMENTS, name: 'prod/payments', versionId: 'v1' },
    warnings: ['the last rotation failed'],
  }),
];

const summary: ReconcileAllSummary = {
  origin: 'manual',
  scope: 'every-secret',
  secrets: 3,
  reconciled: 2,
  outcomes: { redeployed: 1, 'would-redeploy': 0, waiting: 1, skipped: 2, failed: 1 },
  drift: [{ secret: DB, services: [serviceArn('prod', 'orders-api')] }],
  errors: [{ secret: secretArn('prod/gone-AbCdEf'), error: 'secret not found' }],
  bucket: { tokens: 10, at: 1796287172316 },
};

describe('what reconcile prints', () => {
  const run = reconcileRunOfAll(summary, reports, false);

  it('says per secret the services to look at, in the words of the screens, with the origin and a summary that counts the rows', () => {
    const text = reconcileRendering(run).table({ color: false });
    expect(text.split('\n')).toEqual([
      'reconcile of every indexed secret (origin manual): 2 of 3 reconciled',
      '',
      'prod/db:',
      '  SERVICE        CLUSTER  NOW         WHY',
      '  orders-api     prod     redeployed  missed change; new deployment ecs-svc/111',
      '  orders-worker  prod     waiting     wave 2 waits for wave 1 to complete',
      '  orders-ledger  prod     failed      AccessDeniedException: not authorized',
      '  and 1 excluded',
      '',
      'prod/payments: nothing to do (1 up to date)',
      '  warning: the last rotation failed',
      '',
      `${secretArn('prod/gone-AbCdEf')}: error: secret not found`,
      '',
      '1 redeployed, 1 waiting, 1 failed, 1 up to date, 1 excluded',
      '1 service found behind with no run on them (missed changes)',
      '1 secret not reconciled',
      '',
    ]);
  });

  it('carries the reports in JSON, not the rate limiter', () => {
    const json = reconcileRendering(run).json as Record<string, unknown>;
    expect(json).toMatchObject({
      origin: 'manual',
      scope: 'every-secret',
      secrets: 3,
      reconciled: 2,
      outcomes: { redeployed: 1, waiting: 1, failed: 1, skipped: 2, 'would-redeploy': 0 },
      words: { redeployed: 1, waiting: 1, failed: 1, 'up to date': 1, excluded: 1 },
    });
    expect(json.reports).toHaveLength(2);
    expect(json).not.toHaveProperty('bucket');
    expect(scheduleRendering(summary).json).not.toHaveProperty('bucket');
  });

  it('labels its text records with the origin and scope, not SCHEDULE', () => {
    const lines = reconcileRendering(run).text().split('\n');
    expect(lines[0]).toBe('RECONCILE\tmanual\tevery-secret\tlive\t3\t2\tredeployed=1\twould-redeploy=0\twaiting=1\tskipped=2\tfailed=1');
    expect(lines).toContain(`SERVICE\t${DB}\tprod\torders-api\tredeployed\tredeployed\tecs-svc/111\tdrift\truns an older version`);
  });

  it('exits 1 when a service failed or a secret could not be reconciled', () => {
    expect(reconcileExitCode(run)).toBe(1);
    expect(reconcileExitCode(reconcileRunOf([reports[1]], false))).toBe(0);
  });
});

import { formatReport, rebuildRendering } from '../../../functions/cli/format';
import { clusterArn, DB, report, serviceReport, taskDefinitionArn, V_CURRENT } from '../../kit/factories';

/** The table rows of a formatted report: from the header line up to the first blank line. */
function tableOf(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('SERVICE'));
  if (start < 0) throw new Error(`no table in:\n${text}`);
  const end = lines.indexOf('', start);
  return lines.slice(start, end < 0 ? undefined : end);
}

describe('formatReport', () => {
  const services = [
    serviceReport('orders-api', 'redeployed', { reason: `uses version ${V_CURRENT}`, deploymentId: 'ecs-svc/1234567890123456789' }),
    serviceReport(
      'billing-worker',
      { outcome: 'skipped', kind: 'no-tasks' },
      {
        cluster: clusterArn('batch'),
        reason: 'no running tasks (desiredCount 0): new tasks will read the new value anyway',
      },
    ),
    serviceReport('web', 'failed', { reason: 'AccessDeniedException: not authorized to perform ecs:UpdateService' }),
  ];

  it('renders a header with service, cluster, word and reason columns (the wave only when a service has one)', () => {
    const [header] = tableOf(formatReport(report(services)));
    expect(header.split(/\s{2,}/)).toEqual(['SERVICE', 'CLUSTER', 'NOW', 'WHY']);
    const [waved] = tableOf(formatReport(report([serviceReport('a', 'redeployed', { wave: 2 })])));
    expect(waved.split(/\s{2,}/)).toEqual(['SERVICE', 'CLUSTER', 'WAVE', 'NOW', 'WHY']);
  });

  it("renders one row per service with its name, cluster name, the vocabulary's word and the reason, in 80 columns", () => {
    const rows = tableOf(formatReport(report(services))).slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[1].split(/\s{2,}/)).toEqual(['billing-worker', 'batch', 'no tasks', 'no running tasks (desiredCount 0): new tas…']);
    expect(rows[2].split(/\s{2,}/)).toEqual(['web', 'prod', 'failed', 'AccessDeniedException: not authorized to p…']);
    expect(Math.max(...rows.map((r) => r.length))).toBeLessThanOrEqual(80);
  });

  it('shows every reason whole with --wide', () => {
    const rows = tableOf(formatReport(report(services), undefined, { wide: true })).slice(1);
    expect(rows[2].split(/\s{2,}/)).toEqual([
      'web',
      'prod',
      '-',
      'failed',
      'AccessDeniedException: not authorized to perform ecs:UpdateService',
    ]);
  });

  it('aligns every column under its header', () => {
    const [header, ...rows] = tableOf(formatReport(report(services)));
    for (const column of ['CLUSTER', 'NOW', 'WHY']) {
      const at = header.indexOf(column);
      for (const row of rows) {
        expect(row[at - 1]).toBe(' ');
        expect(row[at]).not.toBe(' ');
      }
    }
  });

  it('shows the new deployment id of a redeployed service', () => {
    const [, first] = tableOf(formatReport(report(services), undefined, { wide: true }));
    expect(first).toContain('new deployment ecs-svc/1234567890123456789');
    expect(first).toContain(`uses version ${V_CURRENT}`);
  });

  it('heads the report with the secret, its AWSCURRENT version and the origin, as the JSON says it', () => {
    const text = formatReport(report(services, { origin: 'event' }));
    expect(text).toContain(`secret:  prod/db (AWSCURRENT ${V_CURRENT})`);
    expect(text).toContain('origin:  event (PutSecretValue)');
    expect(formatReport(report([], { origin: 'schedule', hop: 2, trigger: { source: 'schedule' } }))).toContain(
      'origin:  schedule (continuation 2)',
    );
  });

  it('marks a dry run, whose would-redeploy is due', () => {
    const text = formatReport(report([serviceReport('orders-api', 'would-redeploy', { reason: 'uses version v' })], { dryRun: true }));
    expect(text).toContain('[dry run]');
    expect(tableOf(text)[1].split(/\s{2,}/)[2]).toBe('due');
  });

  it('ends with the words of its rows, counted', () => {
    const lines = formatReport(report(services)).trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('1 redeployed, 1 failed, 1 no tasks');
  });

  it('says so when no service references the secret', () => {
    const text = formatReport(report([]));
    expect(text).toContain('No service references this secret.');
    expect(text).not.toContain('SERVICE');
  });

  it('shows the reason of an ignored trigger instead of a table', () => {
    const text = formatReport(report([], { action: 'ignore', reason: 'metadata-only UpdateSecret: no new version', secret: { arn: DB } }));
    expect(text).toContain('ignored: metadata-only UpdateSecret: no new version');
    expect(text).not.toContain('SERVICE');
    expect(text).toContain(`secret:  ${DB}`);
  });

  it('names an unknown secret and a manual trigger', () => {
    const text = formatReport(report([], { action: 'ignore', reason: 'x', secret: {}, trigger: { source: 'manual' } }));
    expect(text).toContain('(unknown secret)');
    expect(text).toContain('origin:  manual');
  });

  it('lists standalone tasks that cannot be redeployed', () => {
    const text = formatReport(
      report(services, {
        standaloneTasks: [
          {
            clusterArn: clusterArn('batch'),
            taskArn: `arn:aws:ecs:eu-west-1:111122223333:task/batch/0123456789abcdef0`,
            taskDefinition: taskDefinitionArn('nightly-export:4'),
          },
        ],
      }),
    );
    expect(text).toContain('Standalone tasks using the secret');
    const row = text.split('\n').find((l) => l.startsWith('0123456789abcdef0'));
    expect(row?.split(/\s{2,}/)).toEqual(['0123456789abcdef0', 'batch', 'nightly-export:4']);
  });

  it('prints warnings and how candidates were found', () => {
    const text = formatReport(
      report(services, { warnings: ['could not publish the report'], inventory: { source: 'scan', note: 'requested' } }),
    );
    expect(text).toContain('warning: could not publish the report');
    expect(text).toContain('found by: scan (requested)');
  });

  // Regression: a parameter's report said "AWSCURRENT", which parameters do not have.
  it('names the version number of an SSM parameter', () => {
    const parameter = 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/token';
    const text = formatReport(report([], { secret: { arn: parameter, name: '/prod/token', versionId: '7' } }));
    expect(text.split('\n')[0]).toBe('secret:  /prod/token (version 7)');
  });
});

describe('rebuildRendering', () => {
  const summary = {
    builtAt: '2026-11-20T08:00:00.000Z',
    clusters: 1,
    services: 2,
    taskDefinitions: 1,
    secrets: 1,
    standaloneTasks: 0,
    entriesWritten: 1,
    entriesRemoved: 0,
    unresolvedReferences: ['prod/gone'],
    taskDefinitionsDescribed: 1,
    revisionsDropped: 0,
    stale: [],
  };

  // Regression: "1 clusters".
  it('says "1 cluster" and "2 services"', () => {
    const text = rebuildRendering(summary, 'state').table({ color: false });
    expect(text).toContain(
      '1 cluster, 2 services, 1 task definition (1 described, the others cached), 1 secret referenced, 0 standalone tasks; 1 entry written, 0 removed',
    );
    expect(text).toContain('warning: reference to a missing secret: prod/gone');
  });

  it('prints one INDEX record and one per unresolved reference as text', () => {
    expect(rebuildRendering(summary, 'state').text()).toBe('INDEX\t2026-11-20T08:00:00.000Z\t1\t2\t1\t1\t0\nUNRESOLVED\tprod/gone\n');
  });

  const stale = {
    ...summary,
    stale: [
      {
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
        serviceArn: 'svc',
        serviceName: 'api',
        reason: 'older',
      },
    ],
  };

  it('says how many consumers run an older version, and that the next reconcile redeploys them', () => {
    const text = rebuildRendering(stale, 'state').table({ color: false });
    expect(text).toContain('1 consumer first seen running a version older than current: the next reconcile redeploys them');
    expect(text).toContain('  api  arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf: older');
  });

  it('prints one STALE record per stale consumer as text', () => {
    expect(rebuildRendering(stale, 'state').text()).toContain(
      'STALE\tarn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf\tsvc\tolder\n',
    );
  });
});

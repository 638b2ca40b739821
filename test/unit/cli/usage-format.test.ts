import { usageRendering } from '../../../functions/cli/usage-format';
import type { UsageMap } from '../../../functions/domain/usage/usage';

const DB = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf';
const MAP: UsageMap = {
  generatedAt: '2026-11-20T08:00:00.000Z',
  source: 'scan',
  notes: ['EventBridge Scheduler schedules could not be listed (AccessDeniedException: no)'],
  unresolved: [{ reference: 'prod/gone', reason: 'no such secret', consumers: ['worker'] }],
  secrets: [
    {
      arn: DB,
      name: 'prod/db',
      kind: 'secret',
      region: 'eu-west-1',
      account: '111122223333',
      ownership: 'own',
      found: true,
      currentVersion: 'v2',
      consumers: [
        {
          kind: 'service',
          name: 'api',
          arn: 'arn:aws:ecs:eu-west-1:111122223333:service/web/api',
          clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/web',
          taskDefinition: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/api:3',
          references: [{ field: 'secrets', name: 'DB', valueFrom: `${DB}:::v1`, versionId: 'v1' }],
          now: 'pinned',
        },
        {
          kind: 'scheduled-task',
          name: 'nightly',
          arn: 'arn:aws:events:eu-west-1:111122223333:rule/nightly',
          clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/jobs',
          taskDefinition: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/export:2',
          schedule: 'cron(0 3 * * ? *)',
          references: [{ field: 'secrets', name: 'DB', valueFrom: DB }],
          now: 'standalone',
        },
      ],
      attention: [
        { kind: 'stale-pin', message: 'pinned to version id v1, which is not current (it holds AWSPREVIOUS)', consumers: ['api'] },
      ],
    },
  ],
};

describe('usageRendering', () => {
  it('prints a summary table, what needs attention, each secret with its consumers, the references it cannot resolve, and the notes', () => {
    expect(usageRendering(MAP).table({ color: false }).split('\n')).toEqual([
      '1 secret or parameter used by task definitions (found by scan)',
      '',
      'SECRET   KIND    REGION     OWNER         CONSUMERS  ATTENTION',
      'prod/db  secret  eu-west-1  this account  2          1',
      '',
      'Needs attention:',
      '  prod/db: pinned to version id v1, which is not current (it holds AWSPREVIOUS) [api]',
      '',
      `prod/db  ${DB} (AWSCURRENT v2)`,
      '  CONSUMER  KIND                           NOW         CLUSTER  TASK DEFINITION  HOW',
      '  api       service                        pinned      web      api:3            secrets DB, version id v1',
      '  nightly   scheduled (cron(0 3 * * ? *))  standalone  jobs     export:2         secrets DB',
      '',
      'References that name no secret it could describe (tasks that need them cannot start):',
      '  prod/gone: no such secret [worker]',
      '',
      'note: EventBridge Scheduler schedules could not be listed (AccessDeniedException: no)',
      '',
    ]);
  });

  it('prints tab-separated SECRET, CONSUMER, ATTENTION, UNRESOLVED and NOTE records as text', () => {
    expect(usageRendering(MAP).text().split('\n')).toEqual([
      `SECRET\t${DB}\tprod/db\tsecret\teu-west-1\tfound\tv2\t`,
      `CONSUMER\t${DB}\tservice\tapi\tarn:aws:ecs:eu-west-1:111122223333:cluster/web\tarn:aws:ecs:eu-west-1:111122223333:task-definition/api:3\tsecrets DB, version id v1\tpinned`,
      `CONSUMER\t${DB}\tscheduled-task\tnightly\tarn:aws:ecs:eu-west-1:111122223333:cluster/jobs\tarn:aws:ecs:eu-west-1:111122223333:task-definition/export:2\tsecrets DB\tstandalone`,
      `ATTENTION\t${DB}\tstale-pin\tpinned to version id v1, which is not current (it holds AWSPREVIOUS)\tapi`,
      'UNRESOLVED\tprod/gone\tno such secret\tworker',
      'NOTE\tEventBridge Scheduler schedules could not be listed (AccessDeniedException: no)',
      '',
    ]);
  });

  it('offers the map as JSON and as a Mermaid graph', () => {
    const rendering = usageRendering(MAP);
    expect(rendering.json).toBe(MAP);
    expect(rendering.mermaid?.()).toMatch(/^```mermaid\nflowchart LR\n[\s\S]*\n```\n$/);
    expect(usageRendering(MAP, { fence: false }).mermaid?.()).toMatch(/^flowchart LR\n[^`]*$/);
  });
});

import type { SecretStatus } from '../../../functions/app/status';
import { EXIT } from '../../../functions/cli/exit';
import { type WatchOptions, watchEnd, watchStatus } from '../../../functions/cli/watch';
import { WORDS, type Word } from '../../../functions/domain/report/vocabulary';

const OPTIONS: WatchOptions = { intervalMs: 10_000, timeoutMs: 60_000, idleRefreshes: 3, secret: 'prod/db' };

/** A status whose consumers are, now, what is given. */
function statusOf(nows: Word[], extra: Partial<SecretStatus> = {}): SecretStatus {
  const now: SecretStatus['now'] = {};
  for (const n of nows) now[n] = (now[n] ?? 0) + 1;
  return {
    secret: { arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf', name: 'prod/db' },
    consumers: nows.map((n, i) => ({
      service: `arn:aws:ecs:eu-west-1:111122223333:service/web/s${i}`,
      serviceName: `s${i}`,
      cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/web',
      state: n === 'due' ? 'behind' : 'up-to-date',
      fullyOnCurrent: n === 'current',
      now: n,
    })),
    standaloneTasks: 0,
    counts: { 'up-to-date': 0, behind: 0, claimed: 0, pinned: 0, unattached: 0, 'no-record': 0 },
    now,
    summary: 'summary',
    done: nows.every((n) => WORDS[n].settled),
    ...extra,
  };
}

/** Runs the loop on a virtual clock over the statuses given (the last one repeats). */
async function watch(statuses: SecretStatus[], options: WatchOptions = OPTIONS) {
  let clock = 0;
  let reads = 0;
  const shown: number[] = [];
  const end = await watchStatus(
    {
      read: async () => statuses[Math.min(reads++, statuses.length - 1)],
      show: (_status, at) => shown.push(at.getTime()),
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    },
    options,
  );
  return { end, refreshes: shown.length, shown };
}

describe('status --watch ends by itself', () => {
  it('when every consumer runs the current versions: exit 0', async () => {
    const { end, refreshes } = await watch([statusOf(['deploying', 'current']), statusOf(['current', 'current'])]);
    expect(end).toEqual({ reason: 'done', line: 'watch ended: every consumer runs the current versions', code: EXIT.done });
    expect(refreshes).toBe(2);
  });

  // Regression: a consumer behind that this tool may not redeploy (opted out, no CodeDeploy group)
  // is settled, and the watch ended saying every consumer ran the current versions.
  it('when nothing is left to do but consumers keep older versions, naming them, not claiming all are current', async () => {
    const { end } = await watch([statusOf(['current', 'excluded', 'no group'])]);
    expect(end).toEqual({
      reason: 'done',
      line: 'watch ended: nothing left to do; 2 consumer(s) keep older versions, not redeployed (1 excluded, 1 no group)',
      code: EXIT.done,
    });
  });

  it('when the rollout halted: exit 1, saying how to resume', async () => {
    const halted = statusOf(['deploy failed', 'due'], {
      rollout: { key: 'k', status: 'halted', startedAt: 't', changedAt: 't', halted: { wave: 2, at: 't', failed: [] } },
    });
    const { end } = await watch([statusOf(['deploying', 'due']), halted]);
    expect(end).toMatchObject({ reason: 'halted', code: EXIT.failed });
    expect(end.line).toBe('watch ended: the rollout halted at wave 2; fix it, then: ecs-secret-redeploy resume prod/db');
  });

  it('when nothing is in progress for three refreshes in a row: what is left waits for a run', async () => {
    const { end, refreshes } = await watch([statusOf(['due', 'current']), statusOf(['deploying', 'due']), statusOf(['due', 'current'])]);
    // Idle at 1, moving at 2 (the count starts again), idle at 3, 4, 5.
    expect(refreshes).toBe(5);
    expect(end).toEqual({
      reason: 'idle',
      line: 'watch ended: nothing in progress; 1 consumer(s) wait for a run: ecs-secret-redeploy reconcile prod/db',
      code: EXIT.done,
    });
  });

  it('when nothing is in progress and consumers wait for their restart window: not sent to reconcile, which would hold them again', async () => {
    const { end } = await watch([statusOf(['window', 'window', 'due'])]);
    expect(end.line).toBe(
      'watch ended: nothing in progress; 1 consumer(s) wait for a run: ecs-secret-redeploy reconcile prod/db; 2 consumer(s) wait for their restart window',
    );
    expect((await watch([statusOf(['window', 'current'])])).end.line).toBe(
      'watch ended: nothing in progress; 1 consumer(s) wait for their restart window',
    );
  });

  it('when nothing is in progress and a deployment failed: exit 1', async () => {
    const { end } = await watch([statusOf(['deploy failed', 'current'])]);
    expect(end).toMatchObject({ reason: 'failed', code: EXIT.failed });
  });

  it('after --timeout while deployments stay in progress, saying what is still moving', async () => {
    const { end, shown } = await watch([statusOf(['deploying', 'deploying', 'current'])], { ...OPTIONS, timeoutMs: 25_000 });
    expect(end).toEqual({ reason: 'timeout', line: 'watch ended after --timeout 25s, still 2 deploying', code: EXIT.done });
    // Every --interval, the last wait cut to the time left.
    expect(shown).toEqual([0, 10_000, 20_000, 25_000]);
  });

  it('never while something is in progress and time is left', () => {
    expect(watchEnd(statusOf(['deploying', 'due']), { idle: 0, elapsedMs: 59_999 }, OPTIONS)).toBeUndefined();
    expect(watchEnd(statusOf(['redeploying']), { idle: 0, elapsedMs: 0 }, OPTIONS)).toBeUndefined();
    expect(watchEnd(statusOf(['due']), { idle: 2, elapsedMs: 0 }, OPTIONS)).toBeUndefined();
  });
});

import { reconcileAll } from '../../../functions/app/reconcile-all';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { secretStatus } from '../../../functions/app/status';
import { buildUsageMap } from '../../../functions/app/usage-map';
import { formatReport } from '../../../functions/cli/format';
import { reconcileRendering, reconcileRunOfAll } from '../../../functions/cli/reconcile-format';
import { statusRendering } from '../../../functions/cli/status-format';
import { usageRendering } from '../../../functions/cli/usage-format';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import type { Report } from '../../../functions/domain/report/report';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { type FakeWorld, fakeWorld, reconcileSecret, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * Every screen on the same world at the same moment (the demo's account right after a rotation
 * of prod/orders-db), at 80 columns: each consumer has the same word on status, plan and
 * reconcile, and every summary counts the words of its rows. Version ids and deployment ids
 * differ from run to run: they are replaced before the snapshot.
 */

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

/** The screen with its generated ids replaced by stable names, in the order they appear. */
function stable(text: string): string {
  const names = new Map<string, string>();
  return text.replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|\b[0-9a-f]{8}\b|ecs-svc\/\d+|20\d\d-\d\d-\d\dT[\d:.]+Z/g, (id) => {
    if (!names.has(id)) names.set(id, `<id${names.size + 1}>`);
    return names.get(id) as string;
  });
}

const widest = (text: string) => Math.max(...text.split('\n').map((line) => line.length));

/** The word each row of a table gives each consumer (the column headed NOW). */
function wordsOf(text: string, names: string[]): Record<string, string> {
  const lines = text.split('\n');
  const header = lines.find((l) => /\bNOW\b/.test(l)) as string;
  const at = header.indexOf('NOW');
  const words: Record<string, string> = {};
  for (const line of lines) {
    const name = names.find((n) => line.trimStart().startsWith(`${n} `));
    if (name) words[name] = line.slice(at).split(/\s{2,}/)[0];
  }
  return words;
}

const CONSUMERS = ['orders-api', 'orders-archiver', 'orders-ledger', 'orders-reports', 'orders-worker'];

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
  world.secrets.rotate(ordersDb);
});

describe('the screens, right after a rotation', () => {
  it('agree: status, plan and reconcile give every consumer the same word, and fit 80 columns', async () => {
    const status = statusRendering(await secretStatus(world.ports, parseTarget(ordersDb) as Target)).table({ color: false });
    const plan = formatReport((await reconcileSecret(world, ordersDb, 'manual', { dryRun: true })).report);
    const reports: Report[] = [];
    const summary = await reconcileAll(
      world.ports,
      { kind: 'reconcile-all', origin: 'manual', trigger: { source: 'manual' }, hop: 0 },
      NO_DEADLINE,
      true,
      { onReport: (r) => reports.push(r) },
    );
    const reconcile = reconcileRendering(reconcileRunOfAll(summary, reports, true)).table({ color: false });
    const usage = usageRendering(
      await buildUsageMap(
        { ...world.ports, schedules: { fromRules: async () => [], fromSchedules: async () => [] } },
        { inventory: 'index' },
      ),
    ).table({ color: false });

    // The usage map's secret lines carry full ARNs (what a reader copies): it is not held to 80 columns.
    for (const [name, screen] of Object.entries({ status, plan, reconcile }))
      expect({ name, width: widest(screen) <= 80 }).toEqual({ name, width: true });
    expect(wordsOf(status, CONSUMERS)).toEqual(wordsOf(plan, CONSUMERS));
    expect(wordsOf(plan, CONSUMERS)).toMatchObject({ 'orders-archiver': 'no tasks', 'orders-api': 'due', 'orders-reports': 'pinned' });
    // The summaries count the words of the rows.
    expect(status).toContain('\n3 due, 1 no tasks, 1 pinned; ');
    expect(plan.trimEnd().split('\n').at(-1)).toBe('3 due, 1 no tasks, 1 pinned');
    expect(reconcile).toContain('  and 1 no tasks, 1 pinned\n');
    expect(reconcile).toContain(
      '\n3 due, 2 up to date, 1 no tasks, 1 pinned\n3 services found behind with no run on them (missed changes)\n',
    );
    expect(wordsOf(usage, CONSUMERS)).toMatchObject({ 'orders-reports': 'pinned', 'orders-archiver': 'follows' });

    expect(stable(status)).toMatchSnapshot('status');
    expect(stable(plan)).toMatchSnapshot('plan');
    expect(stable(reconcile)).toMatchSnapshot('reconcile');
    expect(stable(usage)).toMatchSnapshot('secrets (the usage map)');
  });
});

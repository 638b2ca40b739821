/**
 * A consumer account whose services read secrets of central secrets accounts (issue "Secrets
 * owned by another account"), against one moto_server acting as every account
 * (test/kit/accounts.ts): `owners` owner accounts hold `secretsPerOwner` secrets each; the
 * consumer runs one service per secret, referencing it by full ARN. Measured: the first index
 * rebuild, then a scheduled reconcile after a few rotations whose events were lost, in a fresh
 * process (a cold Lambda container: every owner's read role assumed once) and again in the same
 * one (a warm container: the cached credentials, no AssumeRole).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handleEvent } from '../../functions/app/handle-event';
import type { ReconcileAllSummary } from '../../functions/app/reconcile-all';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { awsPorts } from '../../functions/aws/compose';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { loadConfig } from '../../functions/config';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { silentLogger } from '../../functions/ports/logger';
import { mapWithConcurrency } from '../../functions/util/concurrency';
import { accountClientConfig, actAs, createOwnerReadRole } from '../../test/kit/accounts';
import { CallCounter, type Counts, formatCounts, total } from '../../test/kit/call-counter';
import { emulatorEnv } from '../../test/kit/emulator';
import { scheduledEvent } from '../../test/kit/events';
import { startMoto } from '../../test/kit/moto';
import { createClusters, createSecret, createService, registerTaskDefinition } from '../../test/kit/simulated-account';
import { REGION } from '../../test/kit/test-account';
import { table } from './report';

export interface OwnerAccountsSpec {
  owners: number;
  secretsPerOwner: number;
  /** Secrets rotated with their events lost before the scheduled reconcile. */
  missed: number;
}

/** One measured run of the consumer's handler. */
export interface OwnerAccountsCase {
  name: 'index rebuild' | 'scheduled reconcile, cold' | 'scheduled reconcile, warm';
  counts: Counts;
  calls: number;
  wallMs: number;
  redeployed?: number;
}

export interface OwnerAccountsResult {
  spec: OwnerAccountsSpec;
  secrets: number;
  services: number;
  seedMs: number;
  cases: OwnerAccountsCase[];
}

const CONSUMER = '222222222222';
const ownerAccount = (i: number) => String(111111111111 + i * 1_000_000_000).padStart(12, '0');

export async function ownerAccountsBench(spec: OwnerAccountsSpec, log: (line: string) => void): Promise<OwnerAccountsResult> {
  const moto = await startMoto();
  try {
    const started = performance.now();
    const owners = Array.from({ length: spec.owners }, (_, i) => ownerAccount(i));
    const secrets: Array<{ arn: string; sm: SecretsManagerClient }> = [];
    for (const owner of owners) {
      const credentials = await actAs(moto.endpoint, owner);
      await createOwnerReadRole(moto.endpoint, credentials, [CONSUMER]);
      const sm = new SecretsManagerClient(accountClientConfig(moto.endpoint, credentials));
      const created = await mapWithConcurrency(
        Array.from({ length: spec.secretsPerOwner }, (_, i) => `shared/app-${i}`),
        8,
        (name) => createSecret(sm, name),
      );
      secrets.push(...created.map((s) => ({ arn: s.arn, sm })));
    }
    const consumer = await actAs(moto.endpoint, CONSUMER);
    const ecs = new ECSClient(accountClientConfig(moto.endpoint, consumer));
    const [cluster] = await createClusters(ecs, ['apps']);
    await mapWithConcurrency(secrets, 8, async ({ arn }, i) => {
      const taskDefinition = await registerTaskDefinition(ecs, `app-${i}`, [
        { name: 'app', secrets: [{ name: 'DB_PASSWORD', valueFrom: `${arn}:password::` }] },
      ]);
      await createService(ecs, { cluster, name: `app-${i}`, taskDefinition });
    });
    const seedMs = performance.now() - started;
    log(
      `owner accounts: ${owners.length} owners x ${spec.secretsPerOwner} secrets, ${secrets.length} services seeded in ${(seedMs / 1000).toFixed(1)} s`,
    );

    const config = { ...loadConfig(emulatorEnv(moto.endpoint)), secretOwners: { kind: 'accounts' as const, accounts: owners } };
    /** The consumer's handler in a fresh process: its own clients, its own credential cache. */
    const container = () => {
      const counter = new CallCounter();
      const ports = awsPorts(config, { accountId: CONSUMER, credentials: consumer, instrument: counter.instrument, log: silentLogger });
      return { counter, ports };
    };
    const cases: OwnerAccountsCase[] = [];
    const measure = async (name: OwnerAccountsCase['name'], of: ReturnType<typeof container>, run: () => Promise<number | undefined>) => {
      of.counter.take();
      const t0 = performance.now();
      const redeployed = await run();
      const counts = of.counter.take();
      cases.push({
        name,
        counts,
        calls: total(counts),
        wallMs: performance.now() - t0,
        redeployed,
      });
    };
    const scheduled = async (of: ReturnType<typeof container>) => {
      const outcome = await handleEvent(
        of.ports,
        scheduledEvent({ account: CONSUMER, region: REGION }, 'ecs-secret-redeploy-bench-reconcile'),
        { deadline: NO_DEADLINE, dryRun: false },
      );
      return (outcome as { summary: ReconcileAllSummary }).summary.outcomes.redeployed;
    };

    const rebuilder = container();
    await createStateTable(rebuilder.ports.table);
    await measure('index rebuild', rebuilder, async () => {
      await rebuildIndex(rebuilder.ports);
      return undefined;
    });
    // Rotations in the owner accounts whose events never reached the consumer.
    for (const { arn, sm } of secrets.slice(0, spec.missed)) {
      await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ password: `p-${Date.now()}` }) }));
    }
    const reconciler = container();
    await measure('scheduled reconcile, cold', reconciler, () => scheduled(reconciler));
    await measure('scheduled reconcile, warm', reconciler, () => scheduled(reconciler));
    for (const c of cases)
      log(
        `owner accounts, ${c.name}: ${c.calls} calls (AssumeRole ${c.counts.get('AssumeRole') ?? 0}) in ${(c.wallMs / 1000).toFixed(1)} s`,
      );
    return { spec, secrets: secrets.length, services: secrets.length, seedMs, cases };
  } finally {
    await moto.stop();
  }
}

/** The cases as a Markdown table. */
export function ownerAccountsTable(results: OwnerAccountsResult[]): string {
  return table(
    [
      'owners x secrets',
      'case',
      'calls',
      'AssumeRole',
      'DescribeSecret',
      'ListSecretVersionIds',
      'redeployed',
      'time',
      'calls by operation',
    ],
    results.flatMap((r) =>
      r.cases.map((c) => [
        `${r.spec.owners} x ${r.spec.secretsPerOwner}`,
        c.name,
        String(c.calls),
        String(c.counts.get('AssumeRole') ?? 0),
        String(c.counts.get('DescribeSecret') ?? 0),
        String(c.counts.get('ListSecretVersionIds') ?? 0),
        c.redeployed === undefined ? '-' : String(c.redeployed),
        `${(c.wallMs / 1000).toFixed(1)} s`,
        formatCounts(c.counts),
      ]),
    ),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

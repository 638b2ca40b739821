/**
 * One account size against a fresh moto_server: seed it, then run the handler cases in child
 * processes (bench/lib/probe: calls by operation, the handler's own memory): the first index
 * rebuild and a second one, a scheduled reconcile with nothing changed and one after a few
 * rotations whose events were missed, then for each k a rotation through the index and by a
 * live scan, and the hand-written baseline (in this process: it is not our handler).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsPorts } from '../../functions/aws/compose';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { loadConfig } from '../../functions/config';
import { type AwsService, type CallCounter, formatCounts, total, totalOf } from '../../test/kit/call-counter';
import { emulatorEnv } from '../../test/kit/emulator';
import { MOTO_ACCOUNT, startMoto } from '../../test/kit/moto';
import { emulatorClientConfig, rotatedSecretName, syntheticPlan } from '../../test/kit/simulated-account';
import { REGION } from '../../test/kit/test-account';
import { consumersOf, describeBatches, type SeededAccount, seedAccount, settleCounts } from './account';
import { naiveRedeploy } from './baseline';
import type { TargetResult } from './judge';
import { project } from './limits';
import type { MissedRotation } from './minimums';
import { MEMORY_GOAL_MB, type ProbeCase, type ProbeOutput, probe } from './probe';
import type { SizeSummary } from './report';
import { type CaseName, type CaseResult, memoryTargets, rebuildTargets, rotationTargets, scheduledTargets } from './targets';

/** An account size: S services and, optionally, the number of shared secrets. */
export interface SizeSpec {
  services: number;
  secrets?: number;
}

export interface SizeOptions {
  ks: number[];
  seedConcurrency: number;
  /** Secrets rotated without their events for the scheduled reconcile. */
  missed: number;
  verbose: boolean;
}

export interface SizeOutcome {
  summary: SizeSummary;
  cases: CaseResult[];
  targets: TargetResult[];
  errors: string[];
}

/** One fresh moto_server: seed, rebuild twice, reconcile on the schedule twice, then for each k one rotation three ways. */
export async function benchmarkSize(
  spec: SizeSpec,
  options: SizeOptions,
  counter: CallCounter,
  log: (line: string) => void,
): Promise<SizeOutcome> {
  const size = spec.services;
  const moto = await startMoto();
  log(`S=${size}: moto_server pid ${moto.pid} on ${moto.endpoint}`);
  try {
    const ecs = new ECSClient(emulatorClientConfig(moto.endpoint, REGION));
    const sm = new SecretsManagerClient(emulatorClientConfig(moto.endpoint, REGION));
    const plan = syntheticPlan(size, options.ks, spec.secrets ? { secrets: spec.secrets } : {});
    const skipped = options.ks.filter((k) => k > size);
    if (skipped.length > 0) log(`S=${size}: k=${skipped.join(',')} skipped (k > S)`);
    log(`S=${size}: seeding ${plan.services.length} services, ${plan.families.length} families, ${plan.secretNames.length} secrets`);
    const account = await seedAccount(ecs, sm, plan, options.seedConcurrency);
    log(`S=${size}: seeded ${account.seedCalls} resources in ${(account.seedMs / 1000).toFixed(1)} s`);

    // The function's environment as deployed (serverless.yml notificationBus: default): each completed run is published.
    const env = {
      ...emulatorEnv(moto.endpoint),
      EVENT_BUS_NAME: 'default',
      // moto does not throttle: the tool's own UpdateService rate is projected (bench/lib/limits.ts), not slept.
      UPDATE_SERVICE_RATE: '1000',
      UPDATE_SERVICE_BURST: '1000',
    };
    await createStateTable(awsPorts(loadConfig(env)).table);

    const cases: CaseResult[] = [];
    const targets: TargetResult[] = [];
    const errors: string[] = [];
    const record = (
      name: CaseName,
      k: number | undefined,
      out: { counts: Map<string, number>; serviceOf: Map<string, AwsService>; wallMs: number },
    ) => {
      const isEcs = (op: string) => out.serviceOf.get(op) === 'ECS';
      const result: CaseResult = {
        size,
        k,
        name,
        counts: out.counts,
        calls: total(out.counts),
        ecsCalls: totalOf(out.counts, 'ECS', out.serviceOf),
        codeDeployCalls: totalOf(out.counts, 'CodeDeploy', out.serviceOf),
        wallMs: out.wallMs,
        // The tool's own UpdateService bucket paces its handler, not the hand-written baseline.
        projection: project(out.counts, isEcs, name !== 'baseline'),
      };
      cases.push(result);
      if (result.projection.unknown.length > 0)
        errors.push(`S=${size} ${name}: no ECS rate limit known for ${result.projection.unknown.join(', ')}`);
      log(`S=${size}${k === undefined ? '' : ` k=${k}`}: ${name}: ${result.calls} calls in ${(out.wallMs / 1000).toFixed(1)} s`);
      if (options.verbose) log(`  ${formatCounts(out.counts)}`);
      return result;
    };
    // Fresh adapters in a child process for every handler case, as in a new Lambda container.
    const handlerCase = async (name: CaseName, k: number | undefined, which: ProbeCase): Promise<ProbeOutput> => {
      const out = await probe({ case: which, env, account: MOTO_ACCOUNT });
      const result = record(name, k, { counts: new Map(out.counts), serviceOf: new Map(out.services), wallMs: out.wallMs });
      result.memory = { peakRssBytes: out.peakRssBytes, peakHeapUsedBytes: out.peakHeapUsedBytes };
      result.cpuMs = out.cpuMs;
      return out;
    };

    const first = (await handlerCase('index rebuild', undefined, { kind: 'rebuild' })).result;
    targets.push(...rebuildTargets(cases[cases.length - 1], account.shape, true));
    if (first.kind === 'rebuild') {
      if (first.unresolved.length > 0) errors.push(`S=${size}: index rebuild left references unresolved: ${first.unresolved.join(', ')}`);
      if (first.services !== size || first.taskDefinitions !== account.shape.inUseTaskDefinitions)
        errors.push(
          `S=${size}: index rebuild saw ${first.services} services and ${first.taskDefinitions} task definitions, expected ${size} and ${account.shape.inUseTaskDefinitions}`,
        );
    }
    await handlerCase('index rebuild again', undefined, { kind: 'rebuild' });
    targets.push(...rebuildTargets(cases[cases.length - 1], account.shape, false));

    const steady = (await handlerCase('scheduled reconcile', undefined, { kind: 'schedule' })).result;
    targets.push(...scheduledTargets(cases[cases.length - 1], account.shape, []));
    if (steady.kind === 'schedule') errors.push(...scheduleErrors(size, 'scheduled reconcile', steady, 0));

    // A few shared secrets rotated with their events lost: the schedule finds them behind (drift).
    const pool = plan.secretNames.filter((n) => n.startsWith('shared/'));
    const rotated = Array.from(
      { length: Math.min(options.missed, pool.length) },
      (_, i) => pool[Math.floor((i * pool.length) / options.missed)],
    );
    const missed: MissedRotation[] = [];
    for (const name of rotated) {
      await sm.send(
        new PutSecretValueCommand({
          SecretId: account.secretArns.get(name),
          SecretString: JSON.stringify({ password: `missed-${Date.now()}` }),
        }),
      );
      const consumers = consumersOf(plan, name);
      missed.push({
        consumers: consumers.length,
        describeBatches: describeBatches(plan, consumers),
        settle: settleCounts(plan, consumers, name),
      });
    }
    const drift = (await handlerCase('scheduled reconcile, missed rotations', undefined, { kind: 'schedule' })).result;
    cases[cases.length - 1].redeployed = drift.kind === 'schedule' ? drift.outcomes.redeployed : 0;
    targets.push(...scheduledTargets(cases[cases.length - 1], account.shape, missed));
    if (drift.kind === 'schedule')
      errors.push(
        ...scheduleErrors(
          size,
          'scheduled reconcile, missed rotations',
          drift,
          missed.reduce((n, m) => n + m.consumers, 0),
        ),
      );

    for (const k of plan.ks) {
      const secretArn = account.secretArns.get(rotatedSecretName(k)) as string;
      for (const inventory of ['index', 'scan'] as const) {
        await sm.send(
          new PutSecretValueCommand({
            SecretId: secretArn,
            SecretString: JSON.stringify({ password: `rotated-${inventory}-${Date.now()}` }),
          }),
        );
        const name = inventory === 'index' ? 'rotation via index' : 'rotation, live scan';
        const out = (await handlerCase(name, k, { kind: 'rotation', secretArn, inventory })).result;
        if (out.kind !== 'rotation') continue;
        if (out.failed.length > 0) errors.push(`S=${size} k=${k} ${name}: ${out.failed.length} services failed, e.g. ${out.failed[0]}`);
        cases[cases.length - 1].redeployed = out.redeployed.length;
        errors.push(...verify(size, k, name, out.redeployed, account));
        if (inventory === 'index') {
          const affected = plan.services.slice(0, k).map((s) => s.name);
          const settle = settleCounts(plan, affected, rotatedSecretName(k));
          cases[cases.length - 1].settle = settle;
          targets.push(...rotationTargets(cases[cases.length - 1], k, describeBatches(plan, affected), settle));
        }
      }

      const baselineEcs = new ECSClient(emulatorClientConfig(moto.endpoint, REGION));
      counter.instrument(baselineEcs);
      counter.take();
      const t0 = performance.now();
      const naive = await naiveRedeploy(baselineEcs, { arn: secretArn, name: rotatedSecretName(k) });
      const wallMs = performance.now() - t0;
      record('baseline', k, { counts: counter.take(), serviceOf: counter.serviceOf, wallMs }).redeployed = naive.length;
      errors.push(...verify(size, k, 'baseline', naive, account));
    }
    targets.push(...memoryTargets(cases, MEMORY_GOAL_MB));
    return {
      summary: { size, shape: account.shape, seedCalls: account.seedCalls, seedMs: account.seedMs },
      cases,
      targets,
      errors,
    };
  } finally {
    await moto.stop();
    log(`S=${size}: moto_server pid ${moto.pid} stopped`);
  }
}

/** Errors when a scheduled reconcile failed somewhere or redeployed other than what the missed rotations need. */
function scheduleErrors(
  size: number,
  name: string,
  summary: { outcomes: Record<string, number>; errors: Array<{ secret: string; error: string }>; drift: Array<{ services: string[] }> },
  expected: number,
): string[] {
  const errors: string[] = [];
  if (summary.errors.length > 0) errors.push(`S=${size} ${name}: ${summary.errors.length} secrets failed, e.g. ${summary.errors[0].error}`);
  if ((summary.outcomes.failed ?? 0) > 0) errors.push(`S=${size} ${name}: ${summary.outcomes.failed} services failed`);
  const drift = summary.drift.reduce((n, d) => n + d.services.length, 0);
  if ((summary.outcomes.redeployed ?? 0) !== expected || drift !== expected)
    errors.push(`S=${size} ${name}: redeployed ${summary.outcomes.redeployed}, drift ${drift}, expected ${expected} each`);
  return errors;
}

/** Errors when a run redeployed other services than the k that use the secret. */
function verify(size: number, k: number, name: string, redeployed: string[], account: SeededAccount): string[] {
  const expected = account.affected.get(k) ?? new Set<string>();
  const got = new Set(redeployed);
  const missing = [...expected].filter((arn) => !got.has(arn));
  const extra = [...got].filter((arn) => !expected.has(arn));
  if (missing.length === 0 && extra.length === 0 && redeployed.length === expected.size) return [];
  return [
    `S=${size} k=${k} ${name}: redeployed ${redeployed.length} services, expected ${expected.size} (${missing.length} missing, ${extra.length} unexpected${extra.length > 0 ? `, e.g. ${extra[0]}` : ''})`,
  ];
}

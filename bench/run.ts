/**
 * `npm run bench [-- --quick] [--sizes 100,1000,3000] [--k 1,10,100]`: what one rotation and one
 * index rebuild cost as the account grows (issue 5). For each size S it starts a fresh moto_server,
 * seeds an account, and measures AWS calls by operation and wall time for
 *   (a) an index rebuild (and a second one with the index current),
 *   (b) one rotation handled through the index (the on-secret-change path),
 *   (c) the same rotation with a live scan,
 *   (d) a hand-written baseline that scans and describes everything on every event,
 * projects each under the ECS rate limits, measures the handler bundles, prints the tables with the
 * targets marked PASS/FAIL, and writes the results to docs/benchmarks.md. Exits 1 when a target
 * fails or anything errors, 2 on bad arguments.
 */

import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handleSignal } from '../functions/app/handle-event';
import type { Ports } from '../functions/app/ports';
import { rebuildIndex } from '../functions/app/refresh-index';
import { awsPorts } from '../functions/aws/compose';
import { createStateTable } from '../functions/aws/state-table/admin';
import { loadConfig } from '../functions/config';
import { decodeEvent } from '../functions/domain/decode/events';
import type { Report } from '../functions/domain/report/report';
import { NO_DEADLINE } from '../functions/domain/rollout/deadline';
import { silentLogger } from '../functions/ports/logger';
import { CallCounter, total, totalOf } from '../test/support/call-counter';
import { secretEvents } from '../test/support/events';
import { MOTO_ACCOUNT, startMoto } from '../test/support/moto';
import { emulatorClientConfig, rotatedSecretName, syntheticPlan } from '../test/support/world';
import { type SeededAccount, seedAccount } from './lib/account';
import { naiveRedeploy } from './lib/baseline';
import { measureBundles } from './lib/bundles';
import { project } from './lib/limits';
import { type RunResults, renderResults, type SizeSummary, writeResults } from './lib/report';
import {
  bundleTargets,
  type CaseName,
  type CaseResult,
  independenceTargets,
  rebuildTargets,
  rotationTargets,
  type TargetResult,
} from './lib/targets';

const ROOT = resolve(__dirname, '../..');
const DOC = resolve(ROOT, 'docs/benchmarks.md');
const REGION = 'eu-west-1';
const ACCOUNT = MOTO_ACCOUNT;

interface Options {
  sizes: number[];
  ks: number[];
  seedConcurrency: number;
  coldRuns: number;
  write: boolean;
  quick: boolean;
  verbose: boolean;
  help: boolean;
}

const USAGE = `usage: npm run bench [-- OPTIONS]
  --quick               smoke run: S=50, k=1,10, 3 cold-load runs; does not write docs/benchmarks.md
  --sizes 100,1000,3000 account sizes (services)
  --k 1,10,100          services affected by the rotated secret (k <= S)
  --seed-concurrency 8  creation calls in flight while seeding
  --cold-runs 5         require() runs per bundle (median reported)
  --write / --no-write  write docs/benchmarks.md (default: yes, except with --quick)
  --verbose             log the time spent waiting for each operation's answers`;

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    sizes: [100, 1000, 3000],
    ks: [1, 10, 100],
    seedConcurrency: 8,
    coldRuns: 5,
    write: true,
    quick: false,
    verbose: false,
    help: false,
  };
  let write: boolean | undefined;
  const list = (flag: string, value: string | undefined) => {
    const items = (value ?? '').split(',').map((v) => Number(v.trim()));
    if (value === undefined || items.some((n) => !Number.isInteger(n) || n < 1))
      throw new UsageError(`${flag} needs a comma-separated list of positive integers`);
    return items;
  };
  const positive = (flag: string, value: string | undefined) => list(flag, value)[0];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        options.quick = true;
        options.sizes = [50];
        options.ks = [1, 10];
        options.coldRuns = 3;
        break;
      case '--sizes':
        options.sizes = list(flag, value());
        break;
      case '--k':
        options.ks = list(flag, value());
        break;
      case '--seed-concurrency':
        options.seedConcurrency = positive(flag, value());
        break;
      case '--cold-runs':
        options.coldRuns = positive(flag, value());
        break;
      case '--write':
        write = true;
        break;
      case '--no-write':
        write = false;
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  options.write = write ?? !options.quick;
  return options;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  // The SDK's default credential chain reads these; the emulator accepts any.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;

  const started = performance.now();
  const code = codeVersion();
  const counter = new CallCounter();
  const sizes: SizeSummary[] = [];
  const cases: CaseResult[] = [];
  const targets: TargetResult[] = [];
  const errors: string[] = [];
  const log = (line: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

  for (const size of options.sizes) {
    try {
      const measured = await benchmarkSize(size, options, counter, log);
      sizes.push(measured.summary);
      cases.push(...measured.cases);
      targets.push(...measured.targets);
      errors.push(...measured.errors);
    } catch (error) {
      errors.push(`S=${size}: ${(error as Error).stack ?? error}`);
      log(`S=${size} failed: ${(error as Error).message}`);
    }
  }
  targets.push(...independenceTargets(cases));

  let bundles: Awaited<ReturnType<typeof measureBundles>> = [];
  try {
    log('bundling the handlers with esbuild and timing require()');
    bundles = await measureBundles(ROOT, options.coldRuns);
    targets.push(...bundleTargets(bundles));
  } catch (error) {
    errors.push(`bundles: ${(error as Error).message}`);
  }

  const run: RunResults = {
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: machine(),
    code,
    totalMs: performance.now() - started,
    sizes,
    cases,
    bundles,
    targets,
    errors,
  };
  const results = renderResults(run);
  console.log(results);
  if (options.write) {
    writeResults(DOC, DEFAULT_HEADER, results);
    console.error(`\nresults written to ${DOC}`);
  }
  const failed = targets.filter((t) => !t.pass);
  if (failed.length > 0 || errors.length > 0) {
    console.error(`\nbench: ${failed.length} target(s) failed, ${errors.length} error(s)`);
    return 1;
  }
  return 0;
}

interface SizeOutcome {
  summary: SizeSummary;
  cases: CaseResult[];
  targets: TargetResult[];
  errors: string[];
}

/** One fresh moto_server: seed, rebuild twice, then for each k one rotation three ways. */
async function benchmarkSize(size: number, options: Options, counter: CallCounter, log: (line: string) => void): Promise<SizeOutcome> {
  const moto = await startMoto();
  log(`S=${size}: moto_server pid ${moto.pid} on ${moto.endpoint}`);
  try {
    const ecs = new ECSClient(emulatorClientConfig(moto.endpoint, REGION));
    const sm = new SecretsManagerClient(emulatorClientConfig(moto.endpoint, REGION));
    const plan = syntheticPlan(size, options.ks);
    const skipped = options.ks.filter((k) => k > size);
    if (skipped.length > 0) log(`S=${size}: k=${skipped.join(',')} skipped (k > S)`);
    const account = await seedAccount(ecs, sm, plan, options.seedConcurrency);
    log(`S=${size}: seeded ${account.seedCalls} resources in ${(account.seedMs / 1000).toFixed(1)} s`);

    const config = loadConfig({
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: REGION,
      STATE_TABLE: 'ecs-secret-redeploy',
      // As deployed (serverless.yml notificationBus: default): each completed run is published.
      EVENT_BUS_NAME: 'default',
      LOG_LEVEL: 'silent',
    });
    // Fresh clients (and so fresh caches) for every case, as in a new Lambda container.
    const newPorts = (): Ports => awsPorts(config, { accountId: ACCOUNT, log: silentLogger, instrument: counter.instrument });
    await createStateTable(awsPorts(config).table);
    counter.take();

    const cases: CaseResult[] = [];
    const targets: TargetResult[] = [];
    const errors: string[] = [];
    const measure = async <T>(name: CaseName, k: number | undefined, run: () => Promise<T>): Promise<T> => {
      counter.take();
      const t0 = performance.now();
      const value = await run();
      const wallMs = performance.now() - t0;
      const counts = counter.take();
      const isEcs = (op: string) => counter.serviceOf.get(op) === 'ECS';
      const result: CaseResult = {
        size,
        k,
        name,
        counts,
        calls: total(counts),
        ecsCalls: totalOf(counts, 'ECS', counter.serviceOf),
        wallMs,
        projection: project(counts, isEcs),
      };
      cases.push(result);
      if (result.projection.unknown.length > 0)
        errors.push(`S=${size} ${name}: no ECS rate limit known for ${result.projection.unknown.join(', ')}`);
      log(`S=${size}${k === undefined ? '' : ` k=${k}`}: ${name}: ${result.calls} calls in ${(wallMs / 1000).toFixed(1)} s`);
      if (options.verbose)
        log(
          `  waiting on answers: ${[...counter.lastMillis]
            .sort((a, b) => b[1] - a[1])
            .map(([op, ms]) => `${op} ${(ms / 1000).toFixed(1)} s`)
            .join(', ')}`,
        );
      return value;
    };

    const first = await measure('index rebuild', undefined, () => rebuildIndex(newPorts()));
    targets.push(...rebuildTargets(cases[cases.length - 1], account.shape, true));
    if (first.unresolvedReferences.length > 0)
      errors.push(`S=${size}: index rebuild left references unresolved: ${first.unresolvedReferences.slice(0, 3).join(', ')}`);
    if (first.services !== size || first.taskDefinitions !== account.shape.inUseTaskDefinitions) {
      errors.push(
        `S=${size}: index rebuild saw ${first.services} services and ${first.taskDefinitions} task definitions, expected ${size} and ${account.shape.inUseTaskDefinitions}`,
      );
    }
    await measure('index rebuild again', undefined, () => rebuildIndex(newPorts()));
    targets.push(...rebuildTargets(cases[cases.length - 1], account.shape, false));

    for (const k of plan.ks) {
      const rotation = await rotateAndHandle(sm, account, k, 'index', newPorts, measure);
      cases[cases.length - 1].redeployed = rotation.length;
      errors.push(...verify(size, k, 'rotation via index', rotation, account));
      targets.push(...rotationTargets(cases[cases.length - 1], k));

      const scanned = await rotateAndHandle(sm, account, k, 'scan', newPorts, measure);
      cases[cases.length - 1].redeployed = scanned.length;
      errors.push(...verify(size, k, 'rotation, live scan', scanned, account));

      const secretArn = account.secretArns.get(rotatedSecretName(k)) as string;
      const baselineEcs = new ECSClient(emulatorClientConfig(moto.endpoint, REGION));
      counter.instrument(baselineEcs);
      const naive = await measure('baseline', k, () => naiveRedeploy(baselineEcs, { arn: secretArn, name: rotatedSecretName(k) }));
      cases[cases.length - 1].redeployed = naive.length;
      errors.push(...verify(size, k, 'baseline', naive, account));
    }
    return { summary: { size, shape: account.shape, seedCalls: account.seedCalls, seedMs: account.seedMs }, cases, targets, errors };
  } finally {
    await moto.stop();
    log(`S=${size}: moto_server pid ${moto.pid} stopped`);
  }
}

/**
 * Puts a new value into the rotated secret (a new AWSCURRENT version, so that the exactly-once
 * ledger lets it redeploy again), decodes the PutSecretValue event EventBridge delivers for it, and
 * handles it as the on-secret-change Lambda does; returns the ARNs of the services redeployed.
 */
async function rotateAndHandle(
  sm: SecretsManagerClient,
  account: SeededAccount,
  k: number,
  inventory: 'index' | 'scan',
  newPorts: () => Ports,
  measure: <T>(name: CaseName, k: number | undefined, run: () => Promise<T>) => Promise<T>,
): Promise<string[]> {
  const secretArn = account.secretArns.get(rotatedSecretName(k)) as string;
  await sm.send(
    new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify({ password: `rotated-${inventory}-${Date.now()}` }) }),
  );
  const signal = decodeEvent(secretEvents(secretArn, { account: ACCOUNT, region: REGION }).putSecretValue());
  const report: Report = await measure(inventory === 'index' ? 'rotation via index' : 'rotation, live scan', k, () =>
    handleSignal(newPorts(), signal, { deadline: NO_DEADLINE, dryRun: false }, 'event', { inventory }),
  );
  const failed = report.services.filter((s) => s.outcome === 'failed');
  if (failed.length > 0) throw new Error(`${failed.length} services failed to redeploy: ${failed[0].serviceName}: ${failed[0].reason}`);
  return report.services.filter((s) => s.outcome === 'redeployed').map((s) => s.service);
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

function machine(): string {
  const cpu = cpus();
  const moto = spawnSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
  const motoVersion = moto.status === 0 ? moto.stdout.trim() : 'unknown';
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, Node ${process.version}, moto ${motoVersion}`;
}

function codeVersion(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git('status', '--porcelain', '--', 'functions').stdout.trim() !== '';
  return `commit ${head.stdout.trim()}${dirty ? ' with uncommitted changes under functions/' : ''}`;
}

const DEFAULT_HEADER = `# Benchmarks

What one secret rotation and one index rebuild cost as the account grows: \`npm run bench\`
(bench/run.ts). The results section below is rewritten by every full run.`;

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`bench failed: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  },
);

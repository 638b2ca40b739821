/**
 * `npm run bench [-- --quick] [--sizes 100,1000,3000:1000] [--k 1,10,100] [--virtual-k 2000] [--waves 50,150,300]`:
 * what the reconciler costs as the account grows.
 * - Against a fresh moto_server per size (bench/lib/moto-size.ts): the first index rebuild and a
 *   second one, a scheduled reconcile of every secret (nothing changed; a few rotations missed),
 *   and for each k one rotation through the index, by a live scan, and by a hand-written baseline:
 *   AWS calls by operation, projected under the ECS rate limits, and the handler's peak memory.
 * - In virtual time on the in-memory ports (bench/lib/virtual): a rotation of k services under
 *   ECS's UpdateService throttling, through a chain of Lambda invocations, a
 *   rollout in waves whose deployments take minutes, driven by ECS events or by the schedule, and
 *   the first index rebuild of 40,000 in-use revisions through refresh-index's chain of invocations.
 * - A consumer account of secrets owned by two other accounts, against one moto_server acting as
 *   all three (bench/lib/owner-accounts.ts): the index rebuild and a scheduled reconcile, cold and
 *   warm, with the AssumeRole calls they make.
 * - The handler bundles: size and cold load.
 * Prints the tables with the targets marked PASS/FAIL and writes them to docs/benchmark-results.md.
 * Exits 1 when a target fails or anything errors, 2 on bad arguments.
 */

import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig } from '../functions/config';
import { CallCounter } from '../test/kit/call-counter';
import { measureBundles } from './lib/bundles';
import { failing, type TargetResult } from './lib/judge';
import { benchmarkSize } from './lib/moto-size';
import { type Options, parseOptions, USAGE, UsageError } from './lib/options';
import { type OwnerAccountsResult, ownerAccountsBench } from './lib/owner-accounts';
import { type RunResults, renderResults, type SizeSummary, writeResults } from './lib/report';
import {
  bundleTargets,
  type CaseResult,
  firstRebuildTargets,
  independenceTargets,
  massRotationTargets,
  ownerAccountsTargets,
  wavesTargets,
} from './lib/targets';
import { type FirstRebuildResult, firstRebuild } from './lib/virtual/first-rebuild';
import { ECS_UPDATE_SERVICE, type MassRotationResult, massRotation } from './lib/virtual/mass-rotation';
import { type WavesResult, wavesRollout } from './lib/virtual/waves';

const ROOT = resolve(__dirname, '../..');
const DOC = resolve(ROOT, 'docs/benchmark-results.md');

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
      const measured = await benchmarkSize(
        size,
        { ks: options.ks, seedConcurrency: options.seedConcurrency, missed: options.missed, verbose: options.verbose },
        counter,
        log,
      );
      sizes.push(measured.summary);
      cases.push(...measured.cases);
      targets.push(...measured.targets);
      errors.push(...measured.errors);
    } catch (error) {
      errors.push(`S=${size.services}: ${(error as Error).stack ?? error}`);
      log(`S=${size.services} failed: ${(error as Error).message}`);
    }
  }
  targets.push(...independenceTargets(cases));

  const massRotations: MassRotationResult[] = [];
  const waves: WavesResult[] = [];
  const firstRebuilds: FirstRebuildResult[] = [];
  try {
    massRotations.push(...(await runMassRotations(options, log)));
    targets.push(...massRotationTargets(massRotations));
    waves.push(...(await runWaves(options, log)));
    targets.push(...wavesTargets(waves));
    firstRebuilds.push(...(await runFirstRebuild(options, log)));
    targets.push(...firstRebuildTargets(firstRebuilds));
  } catch (error) {
    errors.push(`virtual time: ${(error as Error).stack ?? error}`);
  }

  // A consumer of secrets owned by other accounts: the scheduled reconcile's calls and time.
  const ownerAccounts: OwnerAccountsResult[] = [];
  try {
    const spec = { owners: 2, secretsPerOwner: options.quick ? 10 : 100, missed: Math.min(options.missed, 10) };
    const result = await ownerAccountsBench(spec, log);
    ownerAccounts.push(result);
    targets.push(...ownerAccountsTargets(result));
  } catch (error) {
    errors.push(`owner accounts: ${(error as Error).stack ?? error}`);
  }

  let bundles: Awaited<ReturnType<typeof measureBundles>> = [];
  try {
    log('bundling the handlers with esbuild and timing require()');
    bundles = await measureBundles(ROOT, options.coldRuns);
    targets.push(...bundleTargets(bundles, !options.quick));
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
    massRotations,
    waves,
    firstRebuilds,
    bundles,
    ownerAccounts,
    targets,
    errors,
  };
  const results = renderResults(run);
  console.log(results);
  if (options.write) {
    writeResults(DOC, DEFAULT_HEADER, results, options.section);
    // The tables are written unpadded; Biome pads them, so that a run leaves the tree lint-clean (CI runs biome check).
    const formatted = spawnSync(process.execPath, [resolve(ROOT, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', DOC], {
      encoding: 'utf8',
    });
    if (formatted.status !== 0) console.error(`could not format ${DOC}: ${formatted.stderr.trim().split('\n')[0]}`);
    console.error(`\nresults written to ${DOC}`);
  }
  const failed = targets.filter(failing);
  if (failed.length > 0 || errors.length > 0) {
    console.error(`\nbench: ${failed.length} target(s) failed, ${errors.length} error(s)`);
    return 1;
  }
  return 0;
}

/**
 * k services rotated under ECS's UpdateService bucket (50, 5/s) by 60 s Lambda invocations:
 * with our bucket at ECS's (the documented figure), for one event and for the five of a
 * rotation, and with the shipped default (10, 2/s).
 */
async function runMassRotations(options: Options, log: (line: string) => void): Promise<MassRotationResult[]> {
  if (options.virtualK === 0) return [];
  const shipped = loadConfig({});
  const configs = [
    { ours: { perSecond: 5, burst: 50 }, events: 'one' as const, label: 'bucket 50, 5/s, 1 event' },
    { ours: { perSecond: 5, burst: 50 }, events: 'rotation' as const, label: "bucket 50, 5/s, a rotation's 5 events" },
    {
      ours: { perSecond: shipped.updateRate, burst: shipped.updateBurst },
      events: 'rotation' as const,
      label: `shipped bucket ${shipped.updateBurst}, ${shipped.updateRate}/s, a rotation's 5 events`,
    },
  ];
  const results: MassRotationResult[] = [];
  for (const config of configs) {
    const result = await massRotation({ k: options.virtualK, ecs: ECS_UPDATE_SERVICE, lambdaSeconds: 60, ...config });
    log(
      `virtual k=${options.virtualK}, ${config.label}: ${result.seconds.toFixed(1)} s (bound ${result.floorSeconds.toFixed(1)} s), ${result.invocations} invocations, ${result.throttles} throttled, in ${(result.wallMs / 1000).toFixed(1)} s`,
    );
    results.push(result);
  }
  return results;
}

/** A rollout in waves at the shipped rate, deployments of 2 to 6 minutes, the deployed 300 s Lambda. */
async function runWaves(options: Options, log: (line: string) => void): Promise<WavesResult[]> {
  if (options.waves.length === 0) return [];
  const shipped = loadConfig({});
  const settings = {
    waves: options.waves,
    ours: { perSecond: shipped.updateRate, burst: shipped.updateBurst },
    lambdaSeconds: 300,
    deploymentMinutes: { min: 2, max: 6 },
    scheduleMinutes: 30,
  };
  const results: WavesResult[] = [];
  for (const scenario of ['events', 'schedule', 'schedule-rollout-state'] as const) {
    const result = await wavesRollout(scenario, settings);
    log(
      `virtual waves ${options.waves.join('/')}, ${scenario}: completed ${result.completedAt === undefined ? 'never' : `${(result.completedAt / 60).toFixed(1)} min`} after the rotation, in ${(result.wallMs / 1000).toFixed(1)} s`,
    );
    results.push(result);
  }
  return results;
}

/** The first index rebuild of a large account, under the ECS limits, through the refresh-index function's chain of invocations. */
async function runFirstRebuild(options: Options, log: (line: string) => void): Promise<FirstRebuildResult[]> {
  if (options.virtualRebuild === 0) return [];
  const revisions = options.virtualRebuild;
  const result = await firstRebuild({
    revisions,
    secrets: Math.max(1, Math.round(revisions / 10)),
    lambdaSeconds: options.rebuildLambdaSeconds,
  });
  log(
    `virtual first rebuild of ${revisions} revisions: ${result.completed ? 'completed' : 'NOT completed'} in ${result.seconds.toFixed(1)} s (limit ${result.limitSeconds.toFixed(1)} s), ${result.invocations.length} invocations, in ${(result.wallMs / 1000).toFixed(1)} s`,
  );
  return [result];
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

const DEFAULT_HEADER = `# Benchmark results

The figures of the last full runs of \`npm run bench\`; [benchmarks.md](benchmarks.md) says what each
case measures and what each target holds. The sections below are rewritten by every full run.`;

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`bench failed: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  },
);

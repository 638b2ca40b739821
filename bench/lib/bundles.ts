/**
 * Size and cold load time of each Lambda handler as deployed: bundled with esbuild the way
 * serverless.yml does (bundle, minify, keepNames, platform node, target node22, CommonJS, ES module
 * builds of the AWS SDK preferred, nothing external), then `require()`d in a fresh `node` process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export const HANDLERS = ['on-secret-change', 'redeploy-secret', 'refresh-index'] as const;

export interface BundleResult {
  handler: string;
  bytes: number;
  /** Median `require()` time in a fresh process, milliseconds. */
  coldLoadMs: number;
  runs: number[];
}

/** Bundles each handler into a temporary directory, measures it, and removes the directory. */
export async function measureBundles(root: string, runs: number): Promise<BundleResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-secret-redeploy-bench-'));
  try {
    const results: BundleResult[] = [];
    for (const handler of HANDLERS) {
      const outfile = join(dir, `${handler}.js`);
      await build({
        entryPoints: [resolve(root, 'functions/handlers', `${handler}.ts`)],
        outfile,
        bundle: true,
        minify: true,
        keepNames: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        mainFields: ['module', 'main'],
        logLevel: 'silent',
      });
      const times = Array.from({ length: runs }, () => coldLoad(outfile));
      results.push({ handler, bytes: statSync(outfile).size, coldLoadMs: median(times), runs: times });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `require()` time of one file in a new node process (process start-up not included). */
function coldLoad(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const out = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 30_000,
  });
  if (out.status !== 0) throw new Error(`require(${file}) failed: ${out.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const ms = Number(out.stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`require(${file}) printed no time: ${out.stdout}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

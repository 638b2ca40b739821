/**
 * `osls package` for the scripts and the stack tests, one at a time: the framework bundles into
 * `.esbuild/` under the repository root (and writes `.serverless/` unless given `--package`), so
 * two packagings at once (parallel test workers, the StackSet script beside them) would mix their
 * files. Every packaging of this repository takes the one lock below.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A lock left by a killed run is taken over after this long; a waiter gives up waiting as long. */
const STALE_LOCK_MS = 180_000;

/**
 * Runs `fn` holding the packaging lock of the repository at `root`: a directory in the system's
 * temporary directory, named after the root (mkdir is atomic).
 */
export function withPackagingLock<T>(root: string, fn: () => T): T {
  const lock = path.join(os.tmpdir(), `ecs-secret-redeploy-package-${createHash('sha1').update(root).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > STALE_LOCK_MS || Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * `osls package ARGS` in `root`, its output kept for the error (execFileSync's `stderr`). Call it
 * inside {@link withPackagingLock}. Packaging calls no AWS API: dummy credentials, and no profile,
 * make sure of it.
 */
export function oslsPackage(root: string, args: string[], timeoutMs: number): void {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
  delete env.AWS_PROFILE;
  execFileSync(path.join(root, 'node_modules/.bin/osls'), ['package', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    env,
  });
}

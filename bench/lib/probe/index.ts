/**
 * Runs one handler case in a child node process whose V8 heap is capped (`--max-old-space-size`,
 * 256 MB: half the functions' 512 MB memorySize, leaving the rest to the runtime, the SDK's
 * buffers and code): a case that does not fit fails with an out-of-memory error instead of
 * passing. The child's own peak memory is the handler's, without the benchmark's state or moto.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ProbeOutput, ProbeSpec } from './spec';

export const PROBE_HEAP_MB = 256;
/**
 * The peak resident set a handler must stay within: a goal of 256 MB, half the functions'
 * memorySize of 512 MB (serverless.yml), so that a smaller memorySize remains a choice.
 */
export const MEMORY_GOAL_MB = 256;

export type { ProbeCase, ProbeOutput, ProbeResult, ProbeSpec } from './spec';

/** Runs the case; rejects with the child's error output when it fails. */
export function probe(spec: ProbeSpec): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${PROBE_HEAP_MB}`, join(__dirname, 'child.js')], {
      env: { ...process.env, ...spec.env, BENCH_PROBE: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ProbeOutput);
      else reject(new Error(`probe ${spec.case.kind} exited with ${signal ?? code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

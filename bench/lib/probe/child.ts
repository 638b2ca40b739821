/**
 * One handler case, run in a node process of its own (started by ./index.ts with the V8 heap
 * capped as a Lambda function's memory would cap it): an index rebuild, a scheduled reconcile of
 * every secret, or one rotation, against the emulator, with fresh adapters as in a new Lambda
 * container. Counts its AWS calls, samples its memory, and prints one JSON line. moto runs in its
 * own process, so only the handler's memory is measured.
 */
import { handleEvent, handleSignal } from '../../../functions/app/handle-event';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { awsPorts } from '../../../functions/aws/compose';
import { loadConfig } from '../../../functions/config';
import { decodeEvent } from '../../../functions/domain/decode/events';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { silentLogger } from '../../../functions/ports/logger';
import { CallCounter } from '../../../test/kit/call-counter';
import { scheduledEvent, secretEvents } from '../../../test/kit/events';
import type { ProbeOutput, ProbeSpec } from './spec';

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_PROBE ?? '') as ProbeSpec;
  const counter = new CallCounter();
  const config = loadConfig(spec.env);
  const ports = awsPorts(config, { accountId: spec.account, log: silentLogger, instrument: counter.instrument });
  const origin = { account: spec.account, region: spec.env.AWS_REGION };

  let peakHeap = process.memoryUsage().heapUsed;
  const startRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let result: ProbeOutput['result'];
  const run = { deadline: NO_DEADLINE, dryRun: false };
  switch (spec.case.kind) {
    case 'rebuild': {
      const summary = await rebuildIndex(ports);
      result = {
        kind: 'rebuild',
        services: summary.services,
        taskDefinitions: summary.taskDefinitions,
        secrets: summary.secrets,
        unresolved: summary.unresolvedReferences.slice(0, 5),
      };
      break;
    }
    case 'schedule': {
      const outcome = await handleEvent(ports, scheduledEvent(origin), run);
      if (outcome.kind !== 'schedule') throw new Error(`a scheduled event led to ${outcome.kind}`);
      const { summary } = outcome;
      result = { kind: 'schedule', secrets: summary.secrets, outcomes: summary.outcomes, drift: summary.drift, errors: summary.errors };
      break;
    }
    case 'rotation': {
      const signal = decodeEvent(secretEvents(spec.case.secretArn, origin).putSecretValue());
      const report = await handleSignal(ports, signal, run, 'event', { inventory: spec.case.inventory });
      result = {
        kind: 'rotation',
        redeployed: report.services.filter((s) => s.outcome === 'redeployed').map((s) => s.service),
        failed: report.services.filter((s) => s.outcome === 'failed').map((s) => `${s.serviceName}: ${s.reason}`),
      };
      break;
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const counts = counter.take();
  const output: ProbeOutput = {
    counts: [...counts],
    services: [...counter.serviceOf],
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    // ru_maxrss: the process's peak resident set, in kilobytes on Linux.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    startRssBytes: startRss,
    peakHeapUsedBytes: peakHeap,
    result,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});

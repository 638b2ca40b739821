/**
 * The first index rebuild of a large account in virtual time, run as the refresh-index function
 * runs it: Lambda invocations of a fixed timeout (its margin the stack's deadlineMarginSeconds),
 * each stopping before its deadline and handing the build to the next through the continuation,
 * on the in-memory ports with ECS's read actions paced by their token buckets (FakeEcs waits for
 * each call's token on the virtual clock, as a client that waits out throttling would).
 * The account: `revisions` services, each on a task definition revision of its own that
 * references one of `secrets` secrets, in clusters of at most 4,000 services.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type RebuildOutcome, runRebuild } from '../../../functions/app/refresh-index';
import type { RebuildIndexRequest } from '../../../functions/domain/decode/run-request';
import { extractReferences } from '../../../functions/domain/references/references';
import { deadlineIn } from '../../../functions/domain/rollout/deadline';
import { fakeWorld } from '../../../test/kit/fakes/fake-world';
import { ACCOUNT, REGION } from '../../../test/kit/test-account';
import { ECS_BUCKETS, project } from '../limits';

export interface FirstRebuildSettings {
  /** In-use task definition revisions (one service each). */
  revisions: number;
  secrets: number;
  lambdaSeconds: number;
}

export interface FirstRebuildInvocation {
  status: RebuildOutcome['status'];
  seconds: number;
  described: number;
  /**
   * The invocation's peak heap: the highest heap sampled during it, less the heap before it and
   * less what the in-memory AWS (the fakes' table, ECS, Secrets Manager) holds more after it;
   * garbage not yet collected at a sample counts, so this errs high.
   */
  peakHeapBytes: number;
  wallMs: number;
}

export interface FirstRebuildResult {
  settings: FirstRebuildSettings;
  marginSeconds: number;
  completed: boolean;
  /** From the first invocation's start to the build's completion, virtual seconds. */
  seconds: number;
  /** revisions / 20 (DescribeTaskDefinition's refill) plus the listing's time under the ECS limits. */
  limitSeconds: number;
  listingSeconds: number;
  invocations: FirstRebuildInvocation[];
  /** DescribeTaskDefinition calls, and revisions described more than once. */
  described: number;
  describedTwice: number;
  indexEntries: number;
  expectedEntries: number;
  ecsCalls: Record<string, number>;
  wallMs: number;
}

const CLUSTER_SIZE = 4_000;

export async function firstRebuild(settings: FirstRebuildSettings): Promise<FirstRebuildResult> {
  const started = performance.now();
  const gc = collector();
  const world = fakeWorld();
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  const secretArns = Array.from({ length: settings.secrets }, (_, i) => {
    const name = `bench/rebuild-${String(i).padStart(5, '0')}`;
    return world.secrets.add(arn('secretsmanager', `secret:${name}-Rb${String(i).padStart(4, '0')}`), name).arn;
  });
  const clusters = Math.ceil(settings.revisions / CLUSTER_SIZE);
  for (let i = 0; i < settings.revisions; i++) {
    const name = `rebuild-svc-${String(i).padStart(6, '0')}`;
    const taskDefinitionArn = arn('ecs', `task-definition/${name}:1`);
    const cluster = `rebuild-${String(i % clusters).padStart(3, '0')}`;
    world.ecs.taskDefinitions.set(
      taskDefinitionArn,
      extractReferences({
        taskDefinitionArn,
        containerDefinitions: [{ name: 'app', secrets: [{ name: 'DB', valueFrom: secretArns[i % settings.secrets] }] }],
      }),
    );
    world.ecs.addService({
      clusterArn: arn('ecs', `cluster/${cluster}`),
      serviceArn: arn('ecs', `service/${cluster}/${name}`),
      serviceName: name,
      desiredCount: 1,
      taskDefinition: taskDefinitionArn,
    });
  }
  const paced = ['ListClusters', 'ListServices', 'DescribeServices', 'DescribeTaskDefinition', 'ListTasks'];
  world.ecs.paceReadsLike(Object.fromEntries(paced.map((op) => [op, { burst: ECS_BUCKETS[op].burst, perSecond: ECS_BUCKETS[op].refill }])));
  const perCluster = Array.from(
    { length: clusters },
    (_, c) => Math.floor(settings.revisions / clusters) + (c < settings.revisions % clusters ? 1 : 0),
  );
  const listing = new Map([
    ['ListClusters', 1],
    ['ListServices', perCluster.reduce((sum, n) => sum + Math.max(1, Math.ceil(n / 100)), 0)],
    ['DescribeServices', perCluster.reduce((sum, n) => sum + Math.ceil(n / 10), 0)],
    ['ListTasks', clusters],
  ]);
  const listingSeconds = project(listing, () => true).seconds;

  const describedArns = new Map<string, number>();
  const describe = world.ecs.taskDefinitionReferences.bind(world.ecs);
  world.ecs.taskDefinitionReferences = async (taskDefinitionArn) => {
    describedArns.set(taskDefinitionArn, (describedArns.get(taskDefinitionArn) ?? 0) + 1);
    return describe(taskDefinitionArn);
  };

  const t0 = world.clock.now().getTime();
  const invocations: FirstRebuildInvocation[] = [];
  let resume: RebuildIndexRequest | undefined;
  let outcome: RebuildOutcome | undefined;
  do {
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    };
    const sampler = setInterval(sample, 5);
    const start = world.clock.now().getTime();
    const wallStart = performance.now();
    const describedBefore = world.ecs.calls.DescribeTaskDefinition ?? 0;
    outcome = await runRebuild(world.ports, {
      deadline: deadlineIn(start, settings.lambdaSeconds * 1000, world.ports.config.deadlineMarginSeconds * 1000),
      continuation: world.continuation,
      trigger: { source: 'schedule' },
      onProgress: sample,
      resume,
    });
    sample();
    clearInterval(sampler);
    // What the fakes hold more now (index entries, ledger records, cache rows written) is AWS's memory, not the function's.
    gc();
    const worldGrowth = Math.max(0, process.memoryUsage().heapUsed - baseline);
    invocations.push({
      wallMs: performance.now() - wallStart,
      status: outcome.status,
      seconds: (world.clock.now().getTime() - start) / 1000,
      described: (world.ecs.calls.DescribeTaskDefinition ?? 0) - describedBefore,
      peakHeapBytes: Math.max(0, peak - worldGrowth),
    });
    resume = world.continuation.requests.shift() as RebuildIndexRequest | undefined;
  } while (resume && invocations.length < 100);

  return {
    settings,
    marginSeconds: world.ports.config.deadlineMarginSeconds,
    completed: outcome?.status === 'complete',
    seconds: (world.clock.now().getTime() - t0) / 1000,
    limitSeconds: settings.revisions / ECS_BUCKETS.DescribeTaskDefinition.refill + listingSeconds,
    listingSeconds,
    invocations,
    described: world.ecs.calls.DescribeTaskDefinition ?? 0,
    describedTwice: [...describedArns.values()].filter((n) => n > 1).length,
    indexEntries: world.index.entries.size,
    expectedEntries: settings.revisions,
    ecsCalls: { ...world.ecs.calls },
    wallMs: performance.now() - started,
  };
}

/** A full garbage collection, so that a heap sample counts what an invocation holds (node's gc, exposed at run time). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return () => gc?.();
}

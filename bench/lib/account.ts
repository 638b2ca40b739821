/**
 * What the benchmark needs to know about a synthetic account (test/kit/simulated-account.ts plans and
 * seeds it, for the tests and the demo as well): its counts, from which the minimum costs of a
 * rebuild derive, and which services each rotation must redeploy.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type SyntheticPlan, seedWorld } from '../../test/kit/simulated-account';

/** Counts that describe the account, and the minimum a rebuild must spend on it. */
export interface AccountShape {
  services: number;
  clusters: number;
  servicesPerCluster: number[];
  /** Distinct task definitions in use (= families: only the latest revision of each runs). */
  inUseTaskDefinitions: number;
  registeredRevisions: number;
  secrets: number;
  /** Distinct secrets the in-use task definitions reference. */
  referencedSecrets: number;
  /** (secret, service) pairs: the index entries a rebuild writes. */
  indexEntries: number;
  /** Services with at least one entry (each gets one list-of-secrets item). */
  indexedServices: number;
  /** (secret, service) pairs whose references follow a stage: the first records a first rebuild writes. */
  baselinePairs: number;
  /** Secrets with such a pair: a first rebuild reads their versions' creation times once each. */
  firstSeenSecrets: number;
}

/** What a redeploy's settling of the services' other secrets costs (see settleCounts). */
export interface Settle {
  /** Distinct other secrets: one DescribeSecret each per run. */
  otherSecrets: number;
  /** (service, other secret) pairs: one GetItem each, and a PutItem where the record advances. */
  pairs: number;
}

/** The counts of a planned account. */
export function shapeOf(plan: SyntheticPlan): AccountShape {
  const perCluster = plan.clusterNames.map((_, c) => plan.services.filter((s) => s.cluster === c).length);
  const referenced = new Set<string>();
  let indexEntries = 0;
  let indexedServices = 0;
  let baselinePairs = 0;
  const firstSeen = new Set<string>();
  for (const service of plan.services) {
    const refs = plan.families[service.family].latest;
    const secrets = new Set(refs.map((r) => r.secret));
    for (const s of secrets) referenced.add(s);
    indexEntries += secrets.size;
    if (secrets.size > 0) indexedServices += 1;
    // A pair pinned by every one of its references follows no stage: nothing to baseline.
    const following = [...secrets].filter((s) => refs.some((r) => r.secret === s && r.form !== 'pinned'));
    baselinePairs += following.length;
    for (const s of following) firstSeen.add(s);
  }
  return {
    services: plan.services.length,
    clusters: plan.clusterNames.length,
    servicesPerCluster: perCluster,
    inUseTaskDefinitions: plan.families.length,
    registeredRevisions: plan.families.reduce((n, f) => n + f.revisions, 0),
    secrets: plan.secretNames.length,
    referencedSecrets: referenced.size,
    indexEntries,
    indexedServices,
    baselinePairs,
    firstSeenSecrets: firstSeen.size,
  };
}

/** The services (by name) whose in-use task definition references the secret. */
export function consumersOf(plan: SyntheticPlan, secret: string): string[] {
  return plan.services.filter((s) => plan.families[s.family].latest.some((r) => r.secret === secret)).map((s) => s.name);
}

/**
 * What settling costs when these services are redeployed for `secret`: their task definitions'
 * other secrets, each described once per run, and one ledger read per (service, other secret).
 */
export function settleCounts(plan: SyntheticPlan, services: string[], secret: string): Settle {
  const names = new Set(services);
  const others = new Set<string>();
  let pairs = 0;
  for (const s of plan.services) {
    if (!names.has(s.name)) continue;
    const secrets = new Set(plan.families[s.family].latest.map((r) => r.secret));
    secrets.delete(secret);
    for (const other of secrets) others.add(other);
    pairs += secrets.size;
  }
  return { otherSecrets: others.size, pairs };
}

/** DescribeServices calls for these services: batches of ten per cluster. */
export function describeBatches(plan: SyntheticPlan, services: string[]): number {
  const names = new Set(services);
  const perCluster = new Map<number, number>();
  for (const s of plan.services) if (names.has(s.name)) perCluster.set(s.cluster, (perCluster.get(s.cluster) ?? 0) + 1);
  return [...perCluster.values()].reduce((n, count) => n + Math.ceil(count / 10), 0);
}

/** The services a rotation of size k must redeploy (service ARNs), known once seeded. */
export interface SeededAccount {
  plan: SyntheticPlan;
  shape: AccountShape;
  secretArns: Map<string, string>;
  /** Service name -> ARN. */
  serviceArns: Map<string, string>;
  /** k -> ARNs of the services that use `bench/rotated-k<k>`. */
  affected: Map<number, Set<string>>;
  /** Creation calls sent, and how long seeding took. */
  seedCalls: number;
  seedMs: number;
}

/** Seeds the planned account, `concurrency` creation calls at a time. */
export async function seedAccount(
  ecs: ECSClient,
  sm: SecretsManagerClient,
  plan: SyntheticPlan,
  concurrency: number,
): Promise<SeededAccount> {
  const world = await seedWorld(ecs, sm, plan, concurrency);
  const serviceArns = plan.services.map((s) => world.serviceArns.get(s.name) as string);
  return {
    plan,
    shape: shapeOf(plan),
    secretArns: new Map([...world.secrets.values()].map((s) => [s.name, s.arn])),
    serviceArns: world.serviceArns,
    affected: new Map(plan.ks.map((k) => [k, new Set(serviceArns.slice(0, k))])),
    seedCalls: world.seedCalls,
    seedMs: world.seedMs,
  };
}

/**
 * The benchmark's synthetic account: S services over several clusters, task definition families
 * with several revisions each (only the latest in use), a pool of shared secrets, and for each k one
 * rotated secret (`bench/rotated-k<k>`) that exactly k services use. The account is planned first
 * (pure, so that its shape and the minimum costs derive from the plan) and then created in moto
 * with bounded parallelism.
 */
import { CreateClusterCommand, CreateServiceCommand, ECSClient, KeyValuePair, RegisterTaskDefinitionCommand, Secret } from '@aws-sdk/client-ecs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mapWithConcurrency } from '../../functions/core/concurrency';
import { createSecret } from '../../scripts/lib/aws-fixtures';

/** How a task definition names a secret. */
type Form = 'full' | 'json' | 'partial' | 'name';
/** Where in the task definition the reference sits. */
type Field = 'secrets' | 'log' | 'repo';

interface PlannedRef {
  secret: string;
  form: Form;
  field: Field;
  env: string;
}

interface FamilyPlan {
  name: string;
  revisions: number;
  /** References of the latest revision (the one in use). */
  latest: PlannedRef[];
  /** References of the older revisions (not in use). */
  older: PlannedRef[];
}

interface ServicePlan {
  name: string;
  cluster: number;
  family: number;
}

/** The planned account; every count the targets need derives from it. */
export interface AccountPlan {
  size: number;
  ks: number[];
  clusterNames: string[];
  /** Services per cluster, a multiple of ten so that k packed services need ceil(k/10) DescribeServices. */
  perCluster: number;
  services: ServicePlan[];
  families: FamilyPlan[];
  secretNames: string[];
}

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
}

const POOL_PREFIX = 'shared/app-db-';

/** The secret a rotation of size k changes. */
export function rotatedSecretName(k: number): string {
  return `bench/rotated-k${k}`;
}

/** Plans an account of `size` services with a rotated secret for each k of `ks` (k <= size). */
export function planAccount(size: number, ks: number[]): AccountPlan {
  const usable = [...new Set(ks.filter((k) => k <= size))].sort((a, b) => a - b);
  const kmax = usable.length > 0 ? usable[usable.length - 1] : 0;
  const clusterCount = Math.min(20, Math.max(5, Math.ceil(size / 200)));
  const perCluster = Math.max(10, Math.ceil(size / clusterCount / 10) * 10);
  const clusters = Math.ceil(size / perCluster);
  const clusterNames = Array.from({ length: clusters }, (_, c) => `bench-c${String(c + 1).padStart(2, '0')}`);
  const poolSize = Math.max(10, Math.ceil(size / 10));
  const pool = Array.from({ length: poolSize }, (_, i) => `${POOL_PREFIX}${String(i).padStart(4, '0')}`);

  // Services 0..k-1 are the ones a rotation of size k affects: packed in cluster order, each on a
  // family of its own. Further on, every fifth service shares the family of the one before (one
  // task definition run as two services), as real accounts do.
  const services: ServicePlan[] = [];
  let families = 0;
  for (let i = 0; i < size; i++) {
    const shares = i > kmax && i % 5 === 4;
    const family = shares ? services[i - 1].family : families++;
    services.push({ name: `svc-${String(i).padStart(5, '0')}`, cluster: Math.floor(i / perCluster), family });
  }
  const affectedBy = new Map<number, number[]>(); // family -> ks whose rotation affects it
  const trapFor = new Map<number, number>(); // family -> k whose "-creds" look-alike it uses
  usable.forEach((k, ki) => {
    for (let i = 0; i < k; i++) affectedBy.set(services[i].family, [...(affectedBy.get(services[i].family) ?? []), k]);
    const trap = kmax + ki;
    if (trap < size && !affectedBy.has(services[trap].family)) trapFor.set(services[trap].family, k);
  });

  const familyPlans: FamilyPlan[] = [];
  for (let f = 0; f < families; f++) {
    const base: PlannedRef[] = [{ secret: pool[f % poolSize], form: 'json', field: 'secrets', env: 'DB_PASSWORD' }];
    if (f % 3 === 0) base.push({ secret: pool[(f * 7 + 3) % poolSize], form: 'partial', field: 'secrets', env: 'API_KEY' });
    if (f % 5 === 0) base.push({ secret: pool[(f * 11 + 1) % poolSize], form: 'full', field: 'log', env: 'apiKey' });
    const latest = [...base];
    let repoUsed = false;
    (affectedBy.get(f) ?? []).forEach((k, ki) => {
      let form: Form = (['full', 'json', 'partial', 'name'] as const)[(f + ki) % 4];
      if (form === 'name' && repoUsed) form = 'partial';
      if (form === 'name') repoUsed = true;
      latest.push({ secret: rotatedSecretName(k), form, field: form === 'name' ? 'repo' : 'secrets', env: `ROTATED_K${k}` });
    });
    const trap = trapFor.get(f);
    if (trap !== undefined && !repoUsed) latest.push({ secret: `${rotatedSecretName(trap)}-creds`, form: 'name', field: 'repo', env: '' });
    // Older revisions: what the family used before; some referenced the largest rotated secret
    // and dropped it since (not in use, so never redeployed).
    const older = [...base];
    if (!affectedBy.has(f) && f % 3 === 1 && kmax > 0) older.push({ secret: rotatedSecretName(kmax), form: 'full', field: 'secrets', env: 'OLD_SECRET' });
    familyPlans.push({ name: `bench-app-${String(f).padStart(5, '0')}`, revisions: 1 + (f % 4), latest, older });
  }
  const secretNames = [...pool, ...usable.map(rotatedSecretName), ...[...trapFor.values()].map((k) => `${rotatedSecretName(k)}-creds`)];
  return { size, ks: usable, clusterNames, perCluster, services, families: familyPlans, secretNames };
}

/** The counts of a planned account. */
export function shapeOf(plan: AccountPlan): AccountShape {
  const perCluster = plan.clusterNames.map((_, c) => plan.services.filter((s) => s.cluster === c).length);
  const referenced = new Set<string>();
  let indexEntries = 0;
  let indexedServices = 0;
  for (const service of plan.services) {
    const secrets = new Set(plan.families[service.family].latest.map((r) => r.secret));
    for (const s of secrets) referenced.add(s);
    indexEntries += secrets.size;
    if (secrets.size > 0) indexedServices += 1;
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
  };
}

/** The services a rotation of size k must redeploy (service ARNs), known once seeded. */
export interface SeededAccount {
  plan: AccountPlan;
  shape: AccountShape;
  secretArns: Map<string, string>;
  /** k -> ARNs of the services that use `bench/rotated-k<k>`. */
  affected: Map<number, Set<string>>;
  /** Creation calls sent, and how long seeding took. */
  seedCalls: number;
  seedMs: number;
}

/** Creates the planned account in the emulator, `concurrency` calls at a time. */
export async function seedAccount(ecs: ECSClient, sm: SecretsManagerClient, plan: AccountPlan, concurrency: number): Promise<SeededAccount> {
  const started = performance.now();
  let calls = 0;
  const clusterArns = await mapWithConcurrency(plan.clusterNames, concurrency, async (clusterName) => {
    calls++;
    const out = await ecs.send(new CreateClusterCommand({ clusterName }));
    return out.cluster?.clusterArn as string;
  });
  const secrets = await mapWithConcurrency(plan.secretNames, concurrency, async (name) => {
    calls++;
    return createSecret(sm, name);
  });
  const secretArns = new Map(secrets.map((s) => [s.name, s.arn]));

  const render = (ref: PlannedRef): string => {
    const arn = secretArns.get(ref.secret);
    if (!arn) throw new Error(`no seeded secret ${ref.secret}`);
    const partial = arn.slice(0, arn.lastIndexOf('-'));
    return { full: arn, json: `${arn}:password::`, partial, name: ref.secret }[ref.form];
  };
  const containers = (refs: PlannedRef[], revision: number) => {
    const secretsOf = (field: Field): Secret[] => refs.filter((r) => r.field === field).map((r) => ({ name: r.env, valueFrom: render(r) }));
    const repo = refs.find((r) => r.field === 'repo');
    const log = secretsOf('log');
    const environment: KeyValuePair[] = [{ name: 'RELEASE', value: `r${revision}` }];
    return [
      {
        name: 'app',
        image: `public.ecr.aws/nginx/nginx:1.${revision}`,
        memory: 256,
        essential: true,
        environment,
        secrets: secretsOf('secrets'),
        ...(repo ? { repositoryCredentials: { credentialsParameter: render(repo) } } : {}),
      },
      ...(log.length > 0
        ? [{ name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', memory: 64, essential: true, logConfiguration: { logDriver: 'awsfirelens' as const, secretOptions: log } }]
        : []),
    ];
  };
  const latestArns = await mapWithConcurrency(plan.families, concurrency, async (family) => {
    let arn = '';
    for (let revision = 1; revision <= family.revisions; revision++) {
      const refs = revision === family.revisions ? family.latest : family.older;
      calls++;
      const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: family.name, containerDefinitions: containers(refs, revision) }));
      arn = out.taskDefinition?.taskDefinitionArn as string;
    }
    return arn;
  });
  const serviceArns = await mapWithConcurrency(plan.services, concurrency, async (service) => {
    calls++;
    const out = await ecs.send(
      new CreateServiceCommand({ cluster: clusterArns[service.cluster], serviceName: service.name, taskDefinition: latestArns[service.family], desiredCount: 1 }),
    );
    return out.service?.serviceArn as string;
  });
  const affected = new Map(plan.ks.map((k) => [k, new Set(serviceArns.slice(0, k))]));
  return { plan, shape: shapeOf(plan), secretArns, affected, seedCalls: calls, seedMs: performance.now() - started };
}

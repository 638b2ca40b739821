/**
 * The simulated account shared by the tests, the demo and the benchmark: an account is first
 * planned (pure data: clusters, secrets, task definition families and how they reference secrets,
 * services), then seeded into a moto_server with bounded parallelism. The demo's small account
 * and the benchmark's synthetic accounts of any size are two plans of the same model.
 */
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  type ECSClient,
  type KeyValuePair,
  RegisterTaskDefinitionCommand,
  type Secret,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand, DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WAVE_TAG } from '../../functions/domain/rollout/waves';
import { mapWithConcurrency } from '../../functions/util/concurrency';
import { MOTO_CLIENT_CONFIG } from './moto';

/**
 * How a task definition names a secret: full ARN, full ARN with a JSON key, partial ARN, plain
 * name, pinned to its first version, or following AWSPREVIOUS.
 */
export type RefForm = 'full' | 'json' | 'partial' | 'name' | 'pinned' | 'previous';
/** Where in a container definition the reference sits. */
export type RefField = 'secrets' | 'log' | 'repo';

export interface RefPlan {
  secret: string;
  form: RefForm;
  field: RefField;
  /** Environment variable or log option name (unused for `repo`). */
  env: string;
  /** Container name; default `log-router` for log options, `app` otherwise. */
  container?: string;
}

export interface FamilyPlan {
  name: string;
  /** Revisions registered; only the latest is in use. */
  revisions: number;
  /** References of the latest revision (the one in use). */
  latest: RefPlan[];
  /** References of the older revisions (not in use). */
  older: RefPlan[];
}

export interface ServicePlan {
  name: string;
  /** Index into `clusterNames`. */
  cluster: number;
  /** Index into `families`. */
  family: number;
  desiredCount?: number;
  tags?: Record<string, string>;
}

/** An account to seed. */
export interface WorldPlan {
  clusterNames: string[];
  secretNames: string[];
  families: FamilyPlan[];
  services: ServicePlan[];
}

/** A secret as created in the emulator. */
export interface SeededSecret {
  arn: string;
  name: string;
  versionId: string;
}

/** What seeding created, by name. */
export interface SeededWorld {
  plan: WorldPlan;
  clusterArns: string[];
  secrets: Map<string, SeededSecret>;
  /** Service name -> ARN. */
  serviceArns: Map<string, string>;
  /** Family name -> ARN of its latest (in use) revision. */
  taskDefinitionArns: Map<string, string>;
  /** Creation calls sent, and how long seeding took. */
  seedCalls: number;
  seedMs: number;
}

/** Settings for clients that talk to the emulator. */
export function emulatorClientConfig(endpoint: string, region = MOTO_CLIENT_CONFIG.region) {
  return { ...MOTO_CLIENT_CONFIG, endpoint, region, maxAttempts: 3 };
}

/** Creates the planned account in the emulator, `concurrency` calls at a time. */
export async function seedWorld(ecs: ECSClient, sm: SecretsManagerClient, plan: WorldPlan, concurrency = 8): Promise<SeededWorld> {
  const started = performance.now();
  let calls = 0;
  const clusterArns = await mapWithConcurrency(plan.clusterNames, concurrency, async (clusterName) => {
    calls++;
    const out = await ecs.send(new CreateClusterCommand({ clusterName }));
    return out.cluster?.clusterArn as string;
  });
  const created = await mapWithConcurrency(plan.secretNames, concurrency, async (name) => {
    calls++;
    return createSecret(sm, name);
  });
  const secrets = new Map(created.map((s) => [s.name, s]));

  const render = (ref: RefPlan): string => {
    const secret = secrets.get(ref.secret);
    if (!secret) throw new Error(`the plan references ${ref.secret}, which it does not create`);
    return renderRef(ref, secret);
  };
  const containers = (refs: RefPlan[], revision: number) => containerSpecs(refs, render, revision);
  const latestArns = await mapWithConcurrency(plan.families, concurrency, async (family) => {
    let arn = '';
    for (let revision = 1; revision <= family.revisions; revision++) {
      calls++;
      arn = await registerTaskDefinition(
        ecs,
        family.name,
        containers(revision === family.revisions ? family.latest : family.older, revision),
      );
    }
    return arn;
  });
  const serviceArns = await mapWithConcurrency(plan.services, concurrency, async (service) => {
    calls++;
    return createService(ecs, {
      cluster: clusterArns[service.cluster],
      name: service.name,
      taskDefinition: latestArns[service.family],
      desiredCount: service.desiredCount ?? 1,
      tags: service.tags,
    });
  });
  return {
    plan,
    clusterArns,
    secrets,
    serviceArns: new Map(plan.services.map((s, i) => [s.name, serviceArns[i]])),
    taskDefinitionArns: new Map(plan.families.map((f, i) => [f.name, latestArns[i]])),
    seedCalls: calls,
    seedMs: performance.now() - started,
  };
}

/** The `valueFrom` of a planned reference to a seeded secret. */
export function renderRef(ref: RefPlan, secret: SeededSecret): string {
  const partial = secret.arn.slice(0, secret.arn.lastIndexOf('-'));
  const forms: Record<RefForm, string> = {
    full: secret.arn,
    json: `${secret.arn}:password::`,
    partial,
    name: ref.secret,
    pinned: `${secret.arn}:password::${secret.versionId}`,
    previous: `${secret.arn}::AWSPREVIOUS:`,
  };
  return forms[ref.form];
}

/** The containers of a task definition revision that makes the planned references. */
export function containerSpecs(refs: RefPlan[], render: (ref: RefPlan) => string, revision: number): ContainerSpec[] {
  const byContainer = new Map<string, RefPlan[]>();
  for (const ref of refs) {
    const name = ref.container ?? (ref.field === 'log' ? 'log-router' : 'app');
    byContainer.set(name, [...(byContainer.get(name) ?? []), ref]);
  }
  if (byContainer.size === 0) byContainer.set('app', []);
  return [...byContainer.entries()].map(([name, own]) => {
    const of = (field: RefField): Secret[] => own.filter((r) => r.field === field).map((r) => ({ name: r.env, valueFrom: render(r) }));
    const repo = own.find((r) => r.field === 'repo');
    const log = of('log');
    const environment: KeyValuePair[] = [{ name: 'RELEASE', value: `r${revision}` }];
    return {
      name,
      image: `public.ecr.aws/nginx/nginx:1.${revision}`,
      environment,
      ...(of('secrets').length > 0 ? { secrets: of('secrets') } : {}),
      repositoryCredentials: repo ? render(repo) : undefined,
      ...(log.length > 0 ? { logSecrets: log } : {}),
    };
  });
}

/** Creates a secret with a throwaway value; the tool under test never reads it. */
export async function createSecret(sm: SecretsManagerClient, name: string): Promise<SeededSecret> {
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ password: `initial-${name}` }) }));
  return { arn: out.ARN as string, name, versionId: out.VersionId as string };
}

/** Which version holds AWSCURRENT now. */
export async function currentVersion(sm: SecretsManagerClient, secretId: string): Promise<string | undefined> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  return Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
}

/**
 * A container of a task definition to register: where it reads secrets (`logSecrets` become
 * FireLens `secretOptions`, `repositoryCredentials` names the secret), plus any other container
 * definition field.
 */
export interface ContainerSpec extends Record<string, unknown> {
  name: string;
  secrets?: Secret[];
  logSecrets?: Secret[];
  repositoryCredentials?: string;
}

/** Registers a task definition revision with the given containers; returns its ARN. */
export async function registerTaskDefinition(ecs: ECSClient, family: string, containers: ContainerSpec[]): Promise<string> {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: containers.map(({ name, secrets, logSecrets, repositoryCredentials, ...rest }) => {
        return {
          name,
          image: 'public.ecr.aws/nginx/nginx:latest',
          memory: 128,
          essential: true,
          ...rest,
          secrets,
          ...(logSecrets ? { logConfiguration: { logDriver: 'awsfirelens' as const, secretOptions: logSecrets } } : {}),
          repositoryCredentials: repositoryCredentials ? { credentialsParameter: repositoryCredentials } : undefined,
        };
      }),
    }),
  );
  return out.taskDefinition?.taskDefinitionArn as string;
}

/** Creates clusters by name; returns their ARNs. */
export async function createClusters(ecs: ECSClient, names: string[]): Promise<string[]> {
  const arns: string[] = [];
  for (const clusterName of names) {
    const out = await ecs.send(new CreateClusterCommand({ clusterName }));
    arns.push(out.cluster?.clusterArn as string);
  }
  return arns;
}

/** Options of a service created by a test. */
export interface ServiceSpec {
  cluster: string;
  name: string;
  taskDefinition: string;
  desiredCount?: number;
  controller?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  tags?: Record<string, string>;
  /** The target groups it registers a container port with (a CODE_DEPLOY service's: CodeDeploy's AppSpec names the container and port). */
  loadBalancers?: Array<{ targetGroupArn: string; containerName: string; containerPort: number }>;
}

/** How many new deployments each of `services` (names, in `cluster`) got while `run` ran. */
export async function newDeployments(
  ecs: ECSClient,
  cluster: string,
  services: string[],
  run: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const deployments = async () => {
    const out = await ecs.send(new DescribeServicesCommand({ cluster, services }));
    return new Map((out.services ?? []).map((s) => [s.serviceName as string, new Set((s.deployments ?? []).map((d) => d.id as string))]));
  };
  const before = await deployments();
  await run();
  const after = await deployments();
  return Object.fromEntries(services.map((name) => [name, [...(after.get(name) ?? [])].filter((id) => !before.get(name)?.has(id)).length]));
}

/** Creates a service; returns its ARN. */
export async function createService(ecs: ECSClient, spec: ServiceSpec): Promise<string> {
  const out = await ecs.send(
    new CreateServiceCommand({
      cluster: spec.cluster,
      serviceName: spec.name,
      taskDefinition: spec.taskDefinition,
      desiredCount: spec.desiredCount ?? 2,
      deploymentController: { type: spec.controller ?? 'ECS' },
      tags: spec.tags ? Object.entries(spec.tags).map(([key, value]) => ({ key, value })) : undefined,
      loadBalancers: spec.loadBalancers,
    }),
  );
  return out.service?.serviceArn as string;
}

/** The PRIMARY deployment id of each service, as the emulator reports it. */
export async function primaryDeployments(ecs: ECSClient, cluster: string, services: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (let i = 0; i < services.length; i += 10) {
    const out = await ecs.send(new DescribeServicesCommand({ cluster, services: services.slice(i, i + 10) }));
    for (const s of out.services ?? []) ids.set(s.serviceName as string, s.deployments?.find((d) => d.status === 'PRIMARY')?.id ?? '');
  }
  return ids;
}

/**
 * The demo's account: two clusters, seven services, three secrets. prod/orders-db is referenced
 * by full ARN with a JSON key, by partial ARN, by name in repositoryCredentials and in FireLens
 * log options, pinned to a version id, and by a service scaled to zero; prod/orders-db-creds (a
 * name that extends prod/orders-db) and prod/payments-api-key are used by services that must not move.
 */
export function demoPlan(): WorldPlan {
  const family = (name: string, latest: RefPlan[]): FamilyPlan => ({ name, revisions: 1, latest, older: [] });
  return {
    clusterNames: ['prod-web', 'prod-batch'],
    secretNames: ['prod/orders-db', 'prod/orders-db-creds', 'prod/payments-api-key'],
    families: [
      family('orders-api', [{ secret: 'prod/orders-db', form: 'json', field: 'secrets', env: 'DB_PASSWORD' }]),
      family('orders-worker', [
        { secret: 'prod/orders-db', form: 'partial', field: 'secrets', env: 'DB_SECRET', container: 'worker' },
        { secret: 'prod/orders-db', form: 'full', field: 'log', env: 'db', container: 'log-router' },
      ]),
      family('orders-ledger', [{ secret: 'prod/orders-db', form: 'name', field: 'repo', env: '', container: 'ledger' }]),
      family('orders-reports', [{ secret: 'prod/orders-db', form: 'pinned', field: 'secrets', env: 'DB_PASSWORD', container: 'reports' }]),
      family('orders-archiver', [{ secret: 'prod/orders-db', form: 'full', field: 'secrets', env: 'DB', container: 'archiver' }]),
      family('creds-sync', [{ secret: 'prod/orders-db-creds', form: 'full', field: 'secrets', env: 'CREDS', container: 'sync' }]),
      family('payments', [{ secret: 'prod/payments-api-key', form: 'full', field: 'secrets', env: 'API_KEY', container: 'payments' }]),
    ],
    services: [
      { name: 'orders-api', cluster: 0, family: 0, desiredCount: 2 },
      { name: 'orders-worker', cluster: 0, family: 1, desiredCount: 2 },
      { name: 'orders-ledger', cluster: 0, family: 2, desiredCount: 2 },
      { name: 'orders-reports', cluster: 1, family: 3, desiredCount: 2 },
      { name: 'orders-archiver', cluster: 1, family: 4, desiredCount: 0 },
      { name: 'creds-sync', cluster: 1, family: 5, desiredCount: 2 },
      { name: 'payments', cluster: 1, family: 6, desiredCount: 2 },
    ],
  };
}

/** The demo's account as seeded, with what the tests and the demo check against. */
export interface DemoAccount {
  world: SeededWorld;
  clusters: { web: string; batch: string };
  secrets: { ordersDb: SeededSecret; ordersDbCreds: SeededSecret; paymentsKey: SeededSecret };
  /** Service name -> cluster ARN, for every service created. */
  services: Record<string, string>;
  /** Services that a change of prod/orders-db must redeploy. */
  affectedByOrdersDb: string[];
}

/** Seeds the demo's account. */
export async function seedDemoAccount(ecs: ECSClient, sm: SecretsManagerClient): Promise<DemoAccount> {
  const world = await seedWorld(ecs, sm, demoPlan());
  const [web, batch] = world.clusterArns;
  const secret = (name: string) => world.secrets.get(name) as SeededSecret;
  return {
    world,
    clusters: { web, batch },
    secrets: {
      ordersDb: secret('prod/orders-db'),
      ordersDbCreds: secret('prod/orders-db-creds'),
      paymentsKey: secret('prod/payments-api-key'),
    },
    services: Object.fromEntries(world.plan.services.map((s) => [s.name, world.clusterArns[s.cluster]])),
    affectedByOrdersDb: ['orders-api', 'orders-worker', 'orders-ledger'],
  };
}

const POOL_PREFIX = 'shared/app-db-';

/** The secret a rotation of size k changes in a synthetic account. */
export function rotatedSecretName(k: number): string {
  return `bench/rotated-k${k}`;
}

/** A synthetic account, with the numbers the benchmark derives its targets from. */
export interface SyntheticPlan extends WorldPlan {
  size: number;
  ks: number[];
  /** Services per cluster, a multiple of ten so that k packed services need ceil(k/10) DescribeServices. */
  perCluster: number;
}

/** Options of a synthetic account. */
export interface SyntheticOptions {
  /** Shared secrets in the pool (default size / 10, at least 10); all are referenced while there are at least as many families. */
  secrets?: number;
}

/**
 * Plans a synthetic account of `size` services with a rotated secret for each k of `ks` (k <= size):
 * services over 5 to 20 clusters, a task definition family per service (every fifth service past
 * the affected ones shares its neighbour's), 1 to 4 revisions per family, a pool of shared secrets,
 * and for each k a secret that exactly services 0..k-1 use, plus a look-alike used by another.
 */
export function syntheticPlan(size: number, ks: number[], options: SyntheticOptions = {}): SyntheticPlan {
  const usable = [...new Set(ks.filter((k) => k <= size))].sort((a, b) => a - b);
  const kmax = usable.length > 0 ? usable[usable.length - 1] : 0;
  const clusterCount = Math.min(20, Math.max(5, Math.ceil(size / 200)));
  const perCluster = Math.max(10, Math.ceil(size / clusterCount / 10) * 10);
  const clusters = Math.ceil(size / perCluster);
  const clusterNames = Array.from({ length: clusters }, (_, c) => `bench-c${String(c + 1).padStart(2, '0')}`);
  const poolSize = options.secrets ?? Math.max(10, Math.ceil(size / 10));
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
    const base: RefPlan[] = [{ secret: pool[f % poolSize], form: 'json', field: 'secrets', env: 'DB_PASSWORD' }];
    if (f % 3 === 0) base.push({ secret: pool[(f * 7 + 3) % poolSize], form: 'partial', field: 'secrets', env: 'API_KEY' });
    if (f % 5 === 0) base.push({ secret: pool[(f * 11 + 1) % poolSize], form: 'full', field: 'log', env: 'apiKey' });
    const latest = [...base];
    let repoUsed = false;
    (affectedBy.get(f) ?? []).forEach((k, ki) => {
      let form: RefForm = (['full', 'json', 'partial', 'name'] as const)[(f + ki) % 4];
      if (form === 'name' && repoUsed) form = 'partial';
      if (form === 'name') repoUsed = true;
      latest.push({ secret: rotatedSecretName(k), form, field: form === 'name' ? 'repo' : 'secrets', env: `ROTATED_K${k}` });
    });
    const trap = trapFor.get(f);
    if (trap !== undefined && !repoUsed) latest.push({ secret: `${rotatedSecretName(trap)}-creds`, form: 'name', field: 'repo', env: '' });
    // Older revisions: what the family used before; some referenced the largest rotated secret
    // and dropped it since (not in use, so never redeployed).
    const older = [...base];
    if (!affectedBy.has(f) && f % 3 === 1 && kmax > 0)
      older.push({ secret: rotatedSecretName(kmax), form: 'full', field: 'secrets', env: 'OLD_SECRET' });
    familyPlans.push({ name: `bench-app-${String(f).padStart(5, '0')}`, revisions: 1 + (f % 4), latest, older });
  }
  const secretNames = [...pool, ...usable.map(rotatedSecretName), ...[...trapFor.values()].map((k) => `${rotatedSecretName(k)}-creds`)];
  return { size, ks: usable, clusterNames, perCluster, services, families: familyPlans, secretNames };
}

/**
 * Puts services in rollout waves (tag `ecs-secret-redeploy:wave`): the first `counts[0]` services
 * in wave 1, the next `counts[1]` in wave 2, and so on; the rest keep their tags.
 */
export function tagWaves<P extends WorldPlan>(plan: P, counts: number[]): P {
  let next = 0;
  const services = plan.services.map((service) => ({ ...service }));
  counts.forEach((count, w) => {
    for (const service of services.slice(next, next + count)) service.tags = { ...service.tags, [WAVE_TAG]: String(w + 1) };
    next += count;
  });
  return { ...plan, services };
}

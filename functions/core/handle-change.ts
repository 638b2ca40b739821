import type { Deps } from '../aws/clients';
import { publishReport } from '../aws/notify';
import { describeParameterState } from '../aws/parameters';
import { describeSecretState, rememberSecret, resolveSecretArn } from '../aws/secrets';
import { queryIndex, readIndexMeta, tableLedger } from '../aws/state-table';
import { parseArn } from './arn';
import { ForeignAccountError } from './errors';
import type { Decision } from './events';
import { writeServiceEntries } from './indexer';
import { describeServices, scanAccount, StandaloneTask, taskDefinitionReader, TaskDefinitionReader } from './inventory';
import { ArnResolver, referencesTo } from './match';
import { Candidate, planRedeploys } from './plan';
import { executePlans } from './redeploy';
import type { InventoryInfo, Report, ServiceReport } from './report';
import { rotationPending, SecretState, versionOfStage } from './secret-state';

/** How a run finds candidates and guards against repeats. */
export interface RunOptions {
  dryRun: boolean;
  /** Redeploy even services already redeployed for the current version. */
  force: boolean;
  /** `index` uses the state table (scan only when the index was never built); `scan` lists the whole account. */
  inventory: 'index' | 'scan';
  /** The state table exists: use the exactly-once ledger. */
  useState: boolean;
  /** Why the state table is not used, for the report. */
  stateNote?: string;
}

/**
 * The whole pipeline for one decision: re-read the secret's state, find the services that use
 * it, plan, redeploy, report and publish. Throws only for bad input (unknown or foreign secret)
 * and for a missing state table; every per-service problem is an outcome in the report.
 */
export async function handleDecision(deps: Deps, decision: Decision, options: RunOptions): Promise<Report> {
  const base = { trigger: decision.trigger, dryRun: options.dryRun, services: [], standaloneTasks: [], warnings: [] };
  if (decision.action === 'ignore') {
    return { ...base, secret: secretIdentity(decision.secretId), action: 'ignore', reason: decision.reason };
  }
  const account = await deps.accountId();
  assertOwnAccount(decision.secretId, account);
  const isParameter = isParameterArn(decision.secretId);
  const secret = await describeTarget(deps, decision.secretId);
  assertOwnAccount(secret.arn, account);
  const identity = { arn: secret.arn, name: secret.name, versionId: versionOfStage(secret, 'AWSCURRENT') };
  if (secret.deletedDate) {
    return { ...base, secret: identity, action: 'ignore', reason: `secret is scheduled for deletion (${secret.deletedDate}): new tasks could not start` };
  }
  if (decision.skipWhileRotationPending && rotationPending(secret)) {
    return { ...base, secret: identity, action: 'ignore', reason: 'rotation in progress: waiting for it to finish (RotationSucceeded)' };
  }
  if (!isParameter) rememberSecret(deps, secret);

  const found = await findCandidates(deps, secret, options);
  const plans = planRedeploys({ secret, movedStages: decision.movedStages, candidates: found.candidates, clusters: deps.config.clusters });
  const services: ServiceReport[] = [
    ...found.gone,
    ...(await executePlans(deps, plans, {
      secretArn: secret.arn,
      dryRun: options.dryRun,
      force: options.force,
      ledger: options.useState ? tableLedger(deps) : undefined,
    })),
  ];
  const report: Report = { ...base, secret: identity, action: 'redeploy', inventory: found.inventory, services, standaloneTasks: found.standaloneTasks };
  if (!options.dryRun) {
    const warning = await publishReport(deps, report);
    if (warning) report.warnings.push(warning);
  }
  return report;
}

interface Found {
  candidates: Candidate[];
  standaloneTasks: StandaloneTask[];
  /** Indexed services that no longer exist. */
  gone: ServiceReport[];
  inventory: InventoryInfo;
}

async function findCandidates(deps: Deps, secret: SecretState, options: RunOptions): Promise<Found> {
  const reader = taskDefinitionReader(deps);
  if (options.inventory === 'scan' || !options.useState) {
    return scanCandidates(deps, secret, reader, options.inventory === 'scan' ? 'requested' : options.stateNote);
  }
  const fromIndex = await indexCandidates(deps, secret, reader, options.dryRun);
  return fromIndex ?? scanCandidates(deps, secret, reader, 'the index was never built: live scan (run "index rebuild")');
}

async function scanCandidates(deps: Deps, secret: SecretState, reader: TaskDefinitionReader, note?: string): Promise<Found> {
  const scan = await scanAccount(deps, reader);
  const resolve: ArnResolver = (ref) => resolveSecretArn(deps, ref);
  const matched = async <T extends { taskDefinition: string }>(items: T[]) =>
    (await Promise.all(items.map(async (item) => ({ item, references: await referencesTo(scan.references.get(item.taskDefinition) ?? [], secret, resolve) })))).filter((m) => m.references.length > 0);
  const services = await matched(scan.services);
  const tasks = await matched(scan.standaloneTasks);
  return {
    candidates: services.map(({ item, references }) => ({ service: item, references })),
    standaloneTasks: tasks.map(({ item }) => item),
    gone: [],
    inventory: { source: 'scan', ...(note ? { note } : {}) },
  };
}

/**
 * Candidates from the index, verified live: one Query, DescribeServices in batches of ten per
 * cluster. A service found on another task definition than indexed is re-read and re-indexed;
 * a service that no longer exists leaves the index (except on a dry run, which writes nothing).
 * Undefined when the index was never built.
 */
async function indexCandidates(deps: Deps, secret: SecretState, reader: TaskDefinitionReader, dryRun: boolean): Promise<Found | undefined> {
  const entries = await queryIndex(deps, secret.arn);
  if (entries.length === 0 && !(await readIndexMeta(deps))) return undefined;
  const serviceEntries = entries.filter((e) => e.kind === 'service');
  const byCluster = new Map<string, string[]>();
  for (const entry of serviceEntries) byCluster.set(entry.clusterArn, [...(byCluster.get(entry.clusterArn) ?? []), entry.resourceArn]);
  const live = new Map(
    (await Promise.all([...byCluster.entries()].map(([cluster, arns]) => describeServices(deps, cluster, arns)))).flat().map((s) => [s.serviceArn, s]),
  );
  const candidates: Candidate[] = [];
  const gone: ServiceReport[] = [];
  const resolve: ArnResolver = (ref) => resolveSecretArn(deps, ref);
  for (const entry of serviceEntries) {
    const service = live.get(entry.resourceArn);
    if (!service || service.status === 'INACTIVE') {
      if (!dryRun) await writeServiceEntries(deps, entry.resourceArn, undefined, []);
      gone.push({ cluster: entry.clusterArn, service: entry.resourceArn, serviceName: entry.name, taskDefinition: entry.taskDefinition, outcome: 'skipped', reason: 'service no longer exists', references: [] });
      continue;
    }
    if (service.taskDefinition === entry.taskDefinition) {
      candidates.push({ service, references: entry.references });
      continue;
    }
    const references = await reader.references(service.taskDefinition);
    if (!dryRun) await writeServiceEntries(deps, service.serviceArn, service, references);
    candidates.push({ service, references: await referencesTo(references, secret, resolve) });
  }
  const standaloneTasks = entries
    .filter((e) => e.kind === 'task')
    .map((e) => ({ clusterArn: e.clusterArn, taskArn: e.resourceArn, taskDefinition: e.taskDefinition }));
  return { candidates, standaloneTasks, gone, inventory: { source: 'index' } };
}

function isParameterArn(id: string): boolean {
  return parseArn(id)?.service === 'ssm';
}

/**
 * The state of what a change names: a Secrets Manager secret (name, partial or full ARN) or an
 * SSM parameter (its ARN). Throws UnknownSecretError when it does not exist.
 */
export function describeTarget(deps: Deps, id: string): Promise<SecretState> {
  return isParameterArn(id) ? describeParameterState(deps, id) : describeSecretState(deps, id);
}

function assertOwnAccount(secretId: string, account: string): void {
  const arn = parseArn(secretId);
  if (arn && arn.account !== account) {
    throw new ForeignAccountError(`secret ${secretId} belongs to account ${arn.account}, not to this account (${account})`);
  }
}

function secretIdentity(secretId: string | undefined): Report['secret'] {
  if (!secretId) return {};
  return parseArn(secretId) ? { arn: secretId } : { name: secretId };
}

import type { Signal } from '../domain/decode/events';
import { ForeignAccountError } from '../domain/errors';
import { locationOf } from '../domain/identity/arn';
import { accountOf, targetText } from '../domain/identity/target';
import type { StandaloneTask } from '../domain/inventory/service';
import { type Candidate, planRedeploys } from '../domain/plan/plan';
import { rotationPending, type SecretState, versionOfStage } from '../domain/plan/secret-state';
import { type ArnResolver, referencesTo } from '../domain/references/match';
import { type InventoryInfo, type Report, type ServiceReport, targetIdentity } from '../domain/report/report';
import { runNotifications } from './notifications';
import type { Ports } from './ports';
import type { OnProgress } from './progress';
import { executePlans } from './redeploy';
import { writeServiceEntries } from './refresh-index';
import { scanAccount } from './scan-account';

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
  /** Hears how a scan and the redeploys advance (the CLI's progress display). */
  onProgress?: OnProgress;
}

/**
 * The whole pipeline for one signal: re-read the secret's state, find the services that use
 * it, plan, redeploy, report and publish. Throws only for bad input (unknown or foreign secret)
 * and for a missing state table; every per-service problem is an outcome in the report.
 */
export async function handleSignal(ports: Ports, signal: Signal, options: RunOptions): Promise<Report> {
  const base = { trigger: signal.trigger, dryRun: options.dryRun, services: [], standaloneTasks: [], warnings: [] };
  if (signal.action === 'ignore') {
    return { ...base, secret: targetIdentity(signal.target), action: 'ignore', reason: signal.reason };
  }
  const account = await ports.accountId();
  assertOwnAccount(targetText(signal.target), accountOf(signal.target), account);
  const secret = await ports.secrets.describe(signal.target);
  assertOwnAccount(secret.arn, locationOf(secret.arn)?.account, account);
  const identity = { arn: secret.arn, name: secret.name, versionId: versionOfStage(secret, 'AWSCURRENT') };
  if (secret.deletedDate) {
    return {
      ...base,
      secret: identity,
      action: 'ignore',
      reason: `secret is scheduled for deletion (${secret.deletedDate}): new tasks could not start`,
    };
  }
  if (signal.skipWhileRotationPending && rotationPending(secret)) {
    return { ...base, secret: identity, action: 'ignore', reason: 'rotation in progress: waiting for it to finish (RotationSucceeded)' };
  }
  if (secret.kind === 'secret') ports.secrets.remember(secret);

  const found = await findCandidates(ports, secret, options);
  const plans = planRedeploys({ secret, movedStages: signal.movedStages, candidates: found.candidates, clusters: ports.config.clusters });
  const services: ServiceReport[] = [
    ...found.gone,
    ...(await executePlans(ports, plans, {
      secretArn: secret.arn,
      dryRun: options.dryRun,
      force: options.force,
      ledger: options.useState ? ports.ledger : undefined,
      onProgress: options.onProgress,
    })),
  ];
  const report: Report = {
    ...base,
    secret: identity,
    action: 'redeploy',
    inventory: found.inventory,
    services,
    standaloneTasks: found.standaloneTasks,
  };
  if (!options.dryRun) {
    const warning = await ports.notifier.publish(runNotifications(report));
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

async function findCandidates(ports: Ports, secret: SecretState, options: RunOptions): Promise<Found> {
  if (options.inventory === 'scan' || !options.useState) {
    return scanCandidates(ports, secret, options.inventory === 'scan' ? 'requested' : options.stateNote, options.onProgress);
  }
  const fromIndex = await indexCandidates(ports, secret, options.dryRun);
  return fromIndex ?? scanCandidates(ports, secret, 'the index was never built: live scan (run "index rebuild")', options.onProgress);
}

async function scanCandidates(ports: Ports, secret: SecretState, note?: string, onProgress?: OnProgress): Promise<Found> {
  const scan = await scanAccount(ports, onProgress);
  const resolve: ArnResolver = (ref) => ports.secrets.resolve(ref);
  const matched = async <T extends { taskDefinition: string }>(items: T[]) =>
    (
      await Promise.all(
        items.map(async (item) => ({
          item,
          references: await referencesTo(scan.references.get(item.taskDefinition) ?? [], secret, resolve),
        })),
      )
    ).filter((m) => m.references.length > 0);
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
 * Candidates from the index, verified live: one index read, DescribeServices in batches of ten
 * per cluster. A service found on another task definition than indexed is re-read and
 * re-indexed; a service that no longer exists leaves the index (except on a dry run, which writes
 * nothing). Undefined when the index was never built.
 */
async function indexCandidates(ports: Ports, secret: SecretState, dryRun: boolean): Promise<Found | undefined> {
  const entries = await ports.index.entriesOf(secret.arn);
  if (entries.length === 0 && !(await ports.index.meta())) return undefined;
  const serviceEntries = entries.filter((e) => e.kind === 'service');
  const byCluster = new Map<string, string[]>();
  for (const entry of serviceEntries) byCluster.set(entry.clusterArn, [...(byCluster.get(entry.clusterArn) ?? []), entry.resourceArn]);
  const described = await Promise.all([...byCluster.entries()].map(([cluster, arns]) => ports.ecs.describeServices(cluster, arns)));
  const live = new Map(described.flat().map((s) => [s.serviceArn, s]));
  const candidates: Candidate[] = [];
  const gone: ServiceReport[] = [];
  const resolve: ArnResolver = (ref) => ports.secrets.resolve(ref);
  for (const entry of serviceEntries) {
    const service = live.get(entry.resourceArn);
    if (!service || service.status === 'INACTIVE') {
      if (!dryRun) await writeServiceEntries(ports, entry.resourceArn, undefined, []);
      gone.push({
        cluster: entry.clusterArn,
        service: entry.resourceArn,
        serviceName: entry.name,
        taskDefinition: entry.taskDefinition,
        outcome: 'skipped',
        reason: 'service no longer exists',
        references: [],
      });
      continue;
    }
    if (service.taskDefinition === entry.taskDefinition) {
      candidates.push({ service, references: entry.references });
      continue;
    }
    const references = await ports.ecs.taskDefinitionReferences(service.taskDefinition);
    if (!dryRun) await writeServiceEntries(ports, service.serviceArn, service, references);
    candidates.push({ service, references: await referencesTo(references, secret, resolve) });
  }
  const standaloneTasks = entries
    .filter((e) => e.kind === 'task')
    .map((e) => ({ clusterArn: e.clusterArn, taskArn: e.resourceArn, taskDefinition: e.taskDefinition }));
  return { candidates, standaloneTasks, gone, inventory: { source: 'index' } };
}

function assertOwnAccount(secretId: string, secretAccount: string | undefined, account: string): void {
  if (secretAccount !== undefined && secretAccount !== account) {
    throw new ForeignAccountError(`secret ${secretId} belongs to account ${secretAccount}, not to this account (${account})`);
  }
}

import type { IndexEntry } from '../../domain/index/entries';
import type { ServiceSnapshot, StandaloneTask } from '../../domain/inventory/service';
import type { SecretLedger } from '../../domain/ledger/record';
import type { Consumer } from '../../domain/plan/reconcile-plan';
import type { SecretState } from '../../domain/plan/secret-state';
import { referencesTo } from '../../domain/references/match';
import type { InventoryInfo } from '../../domain/report/report';
import type { Ports } from '../../ports/ports';
import { scanAccount } from '../scan-account';
import type { ReconcileOptions } from './options';

/** A secret's consumers and its ledger, as a reconcile first reads them. */
export interface Found {
  consumers: Consumer[];
  ledger: SecretLedger;
  /** The consumers a live scan found, as it saw them (none through the index). */
  live: Map<string, ServiceSnapshot>;
  standaloneTasks: StandaloneTask[];
  inventory: InventoryInfo;
}

/** The secret's consumers from the index (a live scan when asked, without a ledger, or while the index was never built), and its ledger. */
export async function findConsumers(ports: Ports, secret: SecretState, options: ReconcileOptions): Promise<Found> {
  if (!options.useLedger)
    return scanConsumers(ports, secret, { services: [] }, options.noLedgerNote ?? 'no ledger: live scan, no exactly-once guard', options);
  const ledger = options.preloaded?.ledger ?? (await ports.ledger.records(secret.arn));
  if (options.inventory === 'scan') return scanConsumers(ports, secret, ledger, 'requested', options);
  const entries = options.preloaded?.entries.filter((e) => e.secretArn === secret.arn) ?? (await ports.index.entriesOf(secret.arn));
  if (entries.length === 0 && !options.preloaded && !(await ports.index.meta())) {
    return scanConsumers(ports, secret, ledger, 'the index was never built: live scan (run "index rebuild")', options);
  }
  return { ...indexedConsumers(entries), ledger, live: new Map(), inventory: { source: 'index' } };
}

/** The services and standalone tasks that a secret's index entries name. */
export function indexedConsumers(entries: IndexEntry[]): Pick<Found, 'consumers' | 'standaloneTasks'> {
  return {
    consumers: entries
      .filter((e) => e.kind === 'service')
      .map((e) => ({
        serviceArn: e.resourceArn,
        clusterArn: e.clusterArn,
        serviceName: e.name,
        taskDefinition: e.taskDefinition,
        references: e.references,
        ...(e.otherSecrets ? { otherSecrets: e.otherSecrets } : {}),
      })),
    standaloneTasks: entries
      .filter((e) => e.kind === 'task')
      .map((e) => ({ clusterArn: e.clusterArn, taskArn: e.resourceArn, taskDefinition: e.taskDefinition })),
  };
}

async function scanConsumers(
  ports: Ports,
  secret: SecretState,
  ledger: SecretLedger,
  note: string,
  options: Pick<ReconcileOptions, 'onProgress'>,
): Promise<Found> {
  const scan = await scanAccount(ports, options.onProgress);
  const resolve = (ref: Parameters<Ports['secrets']['resolve']>[0]) => ports.secrets.resolve(ref);
  const referencesOf = (taskDefinition: string) => referencesTo(scan.references.get(taskDefinition) ?? [], secret, resolve);
  const consumers: Consumer[] = [];
  const live = new Map<string, ServiceSnapshot>();
  for (const service of scan.services) {
    const references = await referencesOf(service.taskDefinition);
    if (references.length > 0) {
      const { serviceArn, clusterArn, serviceName, taskDefinition } = service;
      consumers.push({ serviceArn, clusterArn, serviceName, taskDefinition, references });
      live.set(serviceArn, service);
    }
  }
  const standaloneTasks: StandaloneTask[] = [];
  for (const task of scan.standaloneTasks) if ((await referencesOf(task.taskDefinition)).length > 0) standaloneTasks.push(task);
  return { consumers, ledger, live, standaloneTasks, inventory: { source: 'scan', note } };
}

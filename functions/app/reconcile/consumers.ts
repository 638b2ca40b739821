import type { ServiceSnapshot, StandaloneTask } from '../../domain/inventory/service';
import type { SecretLedger } from '../../domain/ledger/record';
import type { SecretState } from '../../domain/plan/secret-state';
import { referencesTo } from '../../domain/references/match';
import type { SecretReference } from '../../domain/references/references';
import type { InventoryInfo } from '../../domain/report/report';
import type { Ports } from '../../ports/ports';
import type { OnProgress } from '../progress';
import { scanAccount } from '../scan-account';
import type { ReconcileOptions } from './options';

/** A service whose task definition references the secret. */
export interface Consumer {
  serviceArn: string;
  clusterArn: string;
  serviceName: string;
  taskDefinition: string;
  /** Its references to this secret. */
  references: SecretReference[];
  /** The other secrets its task definition references, as indexed (undefined: not known here). */
  otherSecrets?: string[];
  /** Known already when found by a live scan. */
  live?: ServiceSnapshot;
}

export interface Found {
  consumers: Consumer[];
  ledger: SecretLedger;
  standaloneTasks: StandaloneTask[];
  inventory: InventoryInfo;
}

export async function findConsumers(ports: Ports, secret: SecretState, options: ReconcileOptions): Promise<Found> {
  if (!options.useLedger)
    return scanConsumers(
      ports,
      secret,
      { services: [] },
      options.noLedgerNote ?? 'no ledger: live scan, no exactly-once guard',
      options.onProgress,
    );
  const ledger = options.preloaded?.ledger ?? (await ports.ledger.records(secret.arn));
  if (options.inventory === 'scan') return scanConsumers(ports, secret, ledger, 'requested', options.onProgress);
  const entries = options.preloaded?.entries.filter((e) => e.secretArn === secret.arn) ?? (await ports.index.entriesOf(secret.arn));
  if (entries.length === 0 && !options.preloaded && !(await ports.index.meta())) {
    return scanConsumers(ports, secret, ledger, 'the index was never built: live scan (run "index rebuild")', options.onProgress);
  }
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
    ledger,
    standaloneTasks: entries
      .filter((e) => e.kind === 'task')
      .map((e) => ({ clusterArn: e.clusterArn, taskArn: e.resourceArn, taskDefinition: e.taskDefinition })),
    inventory: { source: 'index' },
  };
}

async function scanConsumers(
  ports: Ports,
  secret: SecretState,
  ledger: SecretLedger,
  note: string,
  onProgress?: OnProgress,
): Promise<Found> {
  const scan = await scanAccount(ports, onProgress);
  const resolve = (ref: Parameters<Ports['secrets']['resolve']>[0]) => ports.secrets.resolve(ref);
  const referencesOf = (taskDefinition: string) => referencesTo(scan.references.get(taskDefinition) ?? [], secret, resolve);
  const consumers: Consumer[] = [];
  for (const service of scan.services) {
    const references = await referencesOf(service.taskDefinition);
    if (references.length > 0) {
      consumers.push({
        serviceArn: service.serviceArn,
        clusterArn: service.clusterArn,
        serviceName: service.serviceName,
        taskDefinition: service.taskDefinition,
        references,
        live: service,
      });
    }
  }
  const standaloneTasks: StandaloneTask[] = [];
  for (const task of scan.standaloneTasks) if ((await referencesOf(task.taskDefinition)).length > 0) standaloneTasks.push(task);
  return { consumers, ledger, standaloneTasks, inventory: { source: 'scan', note } };
}

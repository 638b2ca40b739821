import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createClusters, createSecret, createService, registerTaskDefinition, SeededSecret } from './aws-fixtures';

/** The small realistic account of the demo and the integration tests. */
export interface DemoAccount {
  clusters: { web: string; batch: string };
  secrets: { ordersDb: SeededSecret; ordersDbCreds: SeededSecret; paymentsKey: SeededSecret };
  /** Service name -> cluster ARN, for every service created. */
  services: Record<string, string>;
  /** Services that a change of prod/orders-db must redeploy. */
  affectedByOrdersDb: string[];
}

/**
 * Two clusters, seven services, three secrets. prod/orders-db is referenced by full ARN with a
 * JSON key, by partial ARN, by name in repositoryCredentials and in FireLens log options, pinned
 * to a version id, and by a service scaled to zero; prod/orders-db-creds (a name that extends
 * prod/orders-db) and prod/payments-api-key are used by services that must not move.
 */
export async function seedDemoAccount(ecs: ECSClient, sm: SecretsManagerClient): Promise<DemoAccount> {
  const [web, batch] = await createClusters(ecs, ['prod-web', 'prod-batch']);
  const ordersDb = await createSecret(sm, 'prod/orders-db');
  const ordersDbCreds = await createSecret(sm, 'prod/orders-db-creds');
  const paymentsKey = await createSecret(sm, 'prod/payments-api-key');
  const partialArn = ordersDb.arn.slice(0, ordersDb.arn.lastIndexOf('-'));

  const ordersApi = await registerTaskDefinition(ecs, 'orders-api', [
    { name: 'app', secrets: [{ name: 'DB_PASSWORD', valueFrom: `${ordersDb.arn}:password::` }] },
  ]);
  const ordersWorker = await registerTaskDefinition(ecs, 'orders-worker', [
    { name: 'worker', secrets: [{ name: 'DB_SECRET', valueFrom: partialArn }] },
    { name: 'log-router', logSecrets: [{ name: 'db', valueFrom: ordersDb.arn }] },
  ]);
  const ordersPrivateImage = await registerTaskDefinition(ecs, 'orders-ledger', [{ name: 'ledger', repositoryCredentials: 'prod/orders-db' }]);
  const ordersReports = await registerTaskDefinition(ecs, 'orders-reports', [
    { name: 'reports', secrets: [{ name: 'DB_PASSWORD', valueFrom: `${ordersDb.arn}:password::${ordersDb.versionId}` }] },
  ]);
  const ordersArchiver = await registerTaskDefinition(ecs, 'orders-archiver', [{ name: 'archiver', secrets: [{ name: 'DB', valueFrom: ordersDb.arn }] }]);
  const credsSync = await registerTaskDefinition(ecs, 'creds-sync', [{ name: 'sync', secrets: [{ name: 'CREDS', valueFrom: ordersDbCreds.arn }] }]);
  const payments = await registerTaskDefinition(ecs, 'payments', [{ name: 'payments', secrets: [{ name: 'API_KEY', valueFrom: paymentsKey.arn }] }]);

  const services: Record<string, string> = {};
  const add = async (cluster: string, name: string, taskDefinition: string, desiredCount = 2) => {
    await createService(ecs, { cluster, name, taskDefinition, desiredCount });
    services[name] = cluster;
  };
  await add(web, 'orders-api', ordersApi);
  await add(web, 'orders-worker', ordersWorker);
  await add(web, 'orders-ledger', ordersPrivateImage);
  await add(batch, 'orders-reports', ordersReports);
  await add(batch, 'orders-archiver', ordersArchiver, 0);
  await add(batch, 'creds-sync', credsSync);
  await add(batch, 'payments', payments);
  return {
    clusters: { web, batch },
    secrets: { ordersDb, ordersDbCreds, paymentsKey },
    services,
    affectedByOrdersDb: ['orders-api', 'orders-worker', 'orders-ledger'],
  };
}

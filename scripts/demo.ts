/**
 * `npm run demo`: the whole job against a local emulator. Starts moto_server, seeds a small
 * account, builds the index, changes a secret, feeds the EventBridge event that the change emits
 * to the on-secret-change Lambda handler, prints its report and the services' deployments
 * before and after, delivers the same event again (nothing happens twice), and stops moto.
 * `npm run demo -- --keep` leaves moto and the account running, and prints how to try the CLI on
 * it and how to stop it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import type { Report } from '../functions/domain/report/report';
import { secretEvents } from '../test/kit/events';
import { MOTO_ACCOUNT, type MotoServer, startMoto } from '../test/kit/moto';
import { emulatorClientConfig, primaryDeployments, seedDemoAccount } from '../test/kit/simulated-account';

const REGION = 'eu-west-1';

/** The change the demo suggests making by hand: a new value for prod/orders-db, with the AWS CLI. */
const ROTATE_COMMAND = `aws secretsmanager put-secret-value --secret-id prod/orders-db --secret-string '{"password":"rotated-by-you"}'`;

async function main(): Promise<void> {
  const keep = process.argv.slice(2).includes('--keep');
  const dir = keep ? mkdtempSync(join(tmpdir(), 'ecs-secret-redeploy-demo-')) : undefined;
  const moto = await startMoto(dir ? { detachedLog: join(dir, 'moto.log') } : {});
  try {
    await demo(moto.endpoint);
  } catch (error) {
    await moto.stop();
    throw error;
  }
  if (dir) {
    kept(moto, dir);
  } else {
    await moto.stop();
    console.log(`\nmoto_server (pid ${moto.pid}) stopped.`);
  }
}

/** What to type next: the environment of the emulator, commands to try, and how to stop it. */
function kept(moto: MotoServer, dir: string): void {
  const pidFile = join(dir, 'moto.pid');
  writeFileSync(pidFile, `${moto.pid}\n`);
  const cli = 'npx ecs-secret-redeploy';
  console.log(
    [
      '',
      `moto_server keeps running with the demo's account: ${moto.endpoint}, pid ${moto.pid} (also in ${pidFile}).`,
      'Try the CLI on it, in this shell:',
      '',
      // AWS_DEFAULT_REGION too: the AWS CLI v1 reads no other.
      `  export AWS_ENDPOINT_URL=${moto.endpoint} AWS_REGION=${REGION} AWS_DEFAULT_REGION=${REGION} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing`,
      `  ${cli} plan prod/orders-db`,
      `  ${cli} redeploy prod/orders-db --dry-run`,
      `  ${cli} index show`,
      `  ${cli} secrets`,
      `  ${cli} secrets --output mermaid`,
      `  ${cli} status prod/orders-db`,
      '',
      'Everything is on the current versions now. Change a secret (the AWS CLI, on the emulator), then watch:',
      '',
      `  ${ROTATE_COMMAND}`,
      `  ${cli} status prod/orders-db      # who is behind now`,
      `  ${cli} reconcile                  # redeploys them, once`,
      `  ${cli} status prod/orders-db --watch --interval 2 --timeout 20`,
      '',
      "(moto never completes a deployment: --watch shows them 'deploying' until --timeout.)",
      '',
      `Stop it with: kill ${moto.pid}`,
    ].join('\n'),
  );
}

async function demo(endpoint: string): Promise<void> {
  // The Lambda handler builds its clients from the environment, as it does in AWS.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    STATE_TABLE: 'ecs-secret-redeploy',
    LOG_LEVEL: 'silent',
    // The demo prints the report itself: the metrics' EMF lines on stdout would only be noise.
    POWERTOOLS_SERVICE_NAME: 'ecs-secret-redeploy-demo',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { awsPorts } = await import('../functions/aws/compose');
  const { loadConfig } = await import('../functions/config');
  const { createStateTable } = await import('../functions/aws/state-table/admin');
  const { rebuildIndex } = await import('../functions/app/refresh-index');
  const { formatReport } = await import('../functions/cli/format');
  const { silentLogger } = await import('../functions/ports/logger');
  const { handler } = await import('../functions/handlers/on-secret-change');

  const ecs = new ECSClient(emulatorClientConfig(endpoint, REGION));
  const sm = new SecretsManagerClient(emulatorClientConfig(endpoint, REGION));
  console.log(`moto_server listening on ${endpoint}\n`);

  const account = await seedDemoAccount(ecs, sm);
  console.log('Seeded: clusters prod-web and prod-batch, 7 services, secrets prod/orders-db, prod/orders-db-creds, prod/payments-api-key.');

  const ports = awsPorts(loadConfig(), { accountId: MOTO_ACCOUNT, log: silentLogger });
  await createStateTable(ports.table);
  const summary = await rebuildIndex(ports);
  console.log(
    `Index built: ${summary.services} services, ${summary.taskDefinitions} task definitions, ${summary.secrets} secrets referenced.\n`,
  );

  const names = Object.keys(account.services);
  const before = await deploymentsOf(ecs, account.services);

  const secret = account.secrets.ordersDb;
  const put = await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: JSON.stringify({ password: 'rotated' }) }));
  console.log(`PutSecretValue on ${secret.name}: new AWSCURRENT version ${put.VersionId}\n`);

  const event = secretEvents(secret.arn, { account: MOTO_ACCOUNT, region: REGION }).putSecretValue() as unknown as EventBridgeEvent<
    string,
    unknown
  >;
  const context = {
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:function:ecs-secret-redeploy-on-secret-change`,
    functionName: 'ecs-secret-redeploy-on-secret-change',
    getRemainingTimeInMillis: () => 300_000,
  } as Context;
  // A secret change event: the reconciler answers with the report about that secret.
  const report = (await handler(event, context)) as Report;
  console.log('Report of the on-secret-change handler:\n');
  console.log(formatReport(report));

  const after = await deploymentsOf(ecs, account.services);
  console.log('Deployments as the emulator shows them:\n');
  console.log(['SERVICE'.padEnd(16), 'NEW DEPLOYMENT?'.padEnd(16), 'PRIMARY DEPLOYMENT'].join('  '));
  for (const name of names) {
    const changed = before.get(name) !== after.get(name);
    console.log([name.padEnd(16), (changed ? 'yes' : 'no').padEnd(16), after.get(name)].join('  '));
  }

  const again = (await handler(event, context)) as Report;
  const repeated = again.services.filter((s) => s.outcome === 'redeployed').length;
  const final = await deploymentsOf(ecs, account.services);
  const unchanged = names.every((n) => final.get(n) === after.get(n));
  console.log(
    `\nThe same event delivered again: ${repeated} redeployed, deployments ${unchanged ? 'unchanged' : 'CHANGED'} (exactly once per version).`,
  );
  const expected = new Set(account.affectedByOrdersDb);
  const correct = names.every((n) => (before.get(n) !== after.get(n)) === expected.has(n));
  if (!correct || repeated !== 0 || !unchanged) {
    process.exitCode = 1;
    console.log('Unexpected result: see the tables above.');
  }
}

async function deploymentsOf(ecs: ECSClient, services: Record<string, string>): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const byCluster = new Map<string, string[]>();
  for (const [name, cluster] of Object.entries(services)) byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), name]);
  for (const [cluster, names] of byCluster) for (const [name, id] of await primaryDeployments(ecs, cluster, names)) ids.set(name, id);
  return ids;
}

main().catch((error) => {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
});

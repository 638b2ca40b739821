import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Config } from '../config';
import { EnvironmentError } from '../domain/errors';
import { systemClock } from '../ports/clock';
import { type Logger, silentLogger } from '../ports/logger';
import { type Metrics, noMetrics } from '../ports/metrics';
import type { Ports } from '../ports/ports';
import { snsChat } from './chat';
import { type AwsClients, buildClients, type Credentials, type Instrument } from './clients';
import { awsCodeDeploy } from './codedeploy';
import { awsEcs } from './ecs';
import { consoleLogger } from './logger';
import { eventBridgeNotifier } from './notifier';
import { awsSecretStore } from './secrets';
import { tableContinuationTokens } from './state-table/continuations';
import { tableIndexStore } from './state-table/index-store';
import { tableLedger } from './state-table/ledger';
import { tableRebuildStore } from './state-table/rebuilds';
import { tableRevisionCache } from './state-table/revisions';
import type { Table } from './state-table/table';
import { schedulerWakeups } from './wakeups';

/** Options for {@link awsPorts}. */
export interface ComposeOptions {
  /** Known account id (a Lambda reads it from its own ARN), saving an STS call. */
  accountId?: string;
  log?: Logger;
  /** Where metrics go; none unless given (the Lambda handlers give Powertools' EMF metrics). */
  metrics?: Metrics;
  /** Called with every SDK client built, e.g. to add a call-counting middleware. */
  instrument?: Instrument;
  /** Clients to use instead of building them (tests that mock the SDK). */
  clients?: AwsClients;
  /** Credentials instead of the SDK's default chain (tests that act as several accounts of one emulator). */
  credentials?: Credentials;
}

/** The ports on AWS, plus the state table they share (for `init` and the table check) and the clients (for a continuation, and adapters only the CLI builds). */
export interface AwsPorts extends Ports {
  table: Table;
  clients: AwsClients;
}

/** Builds every adapter once from the configuration. */
export function awsPorts(config: Config, options: ComposeOptions = {}): AwsPorts {
  const clients = options.clients ?? buildClients(config, options.instrument, options.credentials);
  const table: Table = { client: clients.dynamo, name: config.stateTable };
  let account: Promise<string> | undefined = options.accountId ? Promise.resolve(options.accountId) : undefined;
  const accountId = () => {
    account ??= clients.sts.send(new GetCallerIdentityCommand({})).then((identity) => {
      // An endpoint that is not an AWS API may answer anything, even an empty 200.
      if (!identity.Account) throw new EnvironmentError('STS GetCallerIdentity answered without an account: is the endpoint an AWS API?');
      return identity.Account;
    });
    return account;
  };
  return {
    config,
    table,
    clients,
    secrets: awsSecretStore(clients, systemClock, { owners: config.secretOwners, accountId }),
    ecs: awsEcs(clients),
    codeDeploy: awsCodeDeploy(clients),
    index: tableIndexStore(table),
    revisions: tableRevisionCache(table),
    rebuilds: tableRebuildStore(table),
    ledger: tableLedger(table),
    continuations: tableContinuationTokens(table),
    notifier: eventBridgeNotifier(clients, config.notificationBus),
    chat: snsChat(clients, config.chatTopicArn),
    clock: systemClock,
    log: options.log ?? (config.logLevel === 'silent' ? silentLogger : consoleLogger()),
    metrics: options.metrics ?? noMetrics,
    ...(config.wakeups ? { wakeups: schedulerWakeups(config, config.wakeups, options.instrument, options.credentials) } : {}),
    accountId,
  };
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config';
import { consoleLogger, Logger, silentLogger } from '../core/logger';

/** The AWS clients and settings every core function receives instead of building its own. */
export interface Deps {
  config: Config;
  ecs: ECSClient;
  /** Secrets Manager in the home region. */
  secrets: SecretsManagerClient;
  /** Secrets Manager in another region, for references that point there. */
  secretsIn(region: string): SecretsManagerClient;
  /** SSM Parameter Store of a region (metadata only: DescribeParameters). */
  ssmIn(region?: string): SSMClient;
  dynamo: DynamoDBDocumentClient;
  events: EventBridgeClient;
  /** The account whose services are managed (resolved once, then cached). */
  accountId(): Promise<string>;
  log: Logger;
}

/** Options for {@link buildDeps}. */
export interface BuildOptions {
  /** Known account id (a Lambda reads it from its own ARN), saving an STS call. */
  accountId?: string;
  log?: Logger;
  /** Called with every client built, e.g. to add a call-counting middleware. */
  instrument?: (client: { middlewareStack: unknown }) => void;
}

/**
 * Builds every client once per process from the configuration: adaptive retries (the SDK backs
 * off on ECS throttling instead of failing), the configured region and local endpoint.
 */
export function buildDeps(config: Config, options: BuildOptions = {}): Deps {
  const common = (region = config.region) => ({
    ...(region ? { region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    retryMode: 'adaptive',
    maxAttempts: config.maxAttempts,
  });
  const instrument = <T extends { middlewareStack: unknown }>(client: T): T => {
    options.instrument?.(client);
    return client;
  };
  const secrets = instrument(new SecretsManagerClient(common()));
  const regional = new Map<string, SecretsManagerClient>();
  const parameterStores = new Map<string, SSMClient>();
  const sts = instrument(new STSClient(common()));
  let account: Promise<string> | undefined = options.accountId ? Promise.resolve(options.accountId) : undefined;
  return {
    config,
    ecs: instrument(new ECSClient(common())),
    secrets,
    secretsIn(region: string) {
      if (region === config.region) return secrets;
      let client = regional.get(region);
      if (!client) {
        client = instrument(new SecretsManagerClient(common(region)));
        regional.set(region, client);
      }
      return client;
    },
    ssmIn(region?: string) {
      const key = region ?? config.region ?? '';
      let client = parameterStores.get(key);
      if (!client) {
        client = instrument(new SSMClient(common(region ?? config.region)));
        parameterStores.set(key, client);
      }
      return client;
    },
    dynamo: DynamoDBDocumentClient.from(instrument(new DynamoDBClient(common())), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    events: instrument(new EventBridgeClient(common())),
    accountId() {
      account ??= sts.send(new GetCallerIdentityCommand({})).then((identity) => {
        if (!identity.Account) throw new Error('STS GetCallerIdentity returned no account');
        return identity.Account;
      });
      return account;
    },
    log: options.log ?? (config.logLevel === 'silent' ? silentLogger : consoleLogger()),
  };
}

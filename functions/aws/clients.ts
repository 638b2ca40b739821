import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../config';
import { assumedOwnerCredentials, type OwnerAccount } from './owner-credentials';

/** The AWS SDK clients the adapters use, built once per process. */
export interface AwsClients {
  ecs: ECSClient;
  /**
   * ECS without retries, for UpdateService: not idempotent, so a retry after a lost answer would
   * start a second deployment. The caller checks the service's deployments and retries itself.
   */
  ecsOnce: ECSClient;
  /** CodeDeploy, for CODE_DEPLOY services: their deployment groups and deployments. */
  codeDeploy: CodeDeployClient;
  /** CodeDeploy without retries, for CreateDeployment: not idempotent either (see ecsOnce). */
  codeDeployOnce: CodeDeployClient;
  /**
   * Secrets Manager of a region (the home region when undefined), with this deployment's own
   * credentials, or with an owner account's read role (assumed once per owner, cached for the
   * credentials' lifetime) for that owner's secrets.
   */
  secretsIn(region?: string, owner?: OwnerAccount): SecretsManagerClient;
  /** SSM Parameter Store of a region (metadata only: DescribeParameters), with own or an owner account's credentials. */
  ssmIn(region?: string, owner?: OwnerAccount): SSMClient;
  dynamo: DynamoDBDocumentClient;
  events: EventBridgeClient;
  /** Only for the chat topic (CHAT_TOPIC_ARN): Publish. */
  sns: SNSClient;
  /** Only for continuations: an asynchronous invoke of the reconciler. */
  lambda: LambdaClient;
  sts: STSClient;
}

/** Called with every client built, e.g. to add a call-counting middleware. */
export type Instrument = (client: { middlewareStack: unknown }) => void;

/**
 * The settings every client gets from the configuration: adaptive retries (the SDK backs off on
 * ECS throttling instead of failing), the configured region, profile and local endpoint, and
 * connection and read timeouts, so that an endpoint that never answers ends in a TimeoutError
 * (which the SDK retries, up to maxAttempts) instead of hanging.
 */
export function clientSettings(config: Config, region = config.region) {
  return {
    // An undefined region, profile or endpoint is the SDK's default chain, as if left out.
    region,
    profile: config.profile,
    endpoint: config.endpoint,
    retryMode: 'adaptive',
    maxAttempts: config.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: config.connectTimeoutSeconds * 1000,
      // The read timeout: how long the socket may stay idle, as the AWS CLI's --cli-read-timeout.
      socketTimeout: config.readTimeoutSeconds * 1000,
    }),
  };
}

/** A client built on its first use, with the settings (and the instrument) of every other: for clients few runs need. */
export function lazyClient<C extends { middlewareStack: unknown }>(build: () => C, instrument?: Instrument): () => C {
  let client: C | undefined;
  return () => {
    if (!client) {
      client = build();
      instrument?.(client);
    }
    return client;
  };
}

/** Credentials to use instead of the SDK's default chain (tests that act as several accounts). */
export type Credentials = NonNullable<ConstructorParameters<typeof STSClient>[0]>['credentials'];

/**
 * Builds every client, with {@link clientSettings}. Regional clients for other regions, and the
 * clients of owner accounts, are built on first use.
 */
export function buildClients(config: Config, instrument: Instrument = () => undefined, credentials?: Credentials): AwsClients {
  const settings = (region = config.region) => ({ ...clientSettings(config, region), credentials });
  const made = <T extends { middlewareStack: unknown }>(client: T): T => {
    instrument(client);
    return client;
  };
  const sts = made(new STSClient(settings()));
  const ownerCredentials = assumedOwnerCredentials(sts, config.ownerReadRole);
  const perRegion = <T extends { middlewareStack: unknown }>(create: (region: string | undefined, owner?: OwnerAccount) => T) => {
    const clients = new Map<string, T>();
    return (region?: string, owner?: OwnerAccount): T => {
      const key = `${owner ? `${owner.partition}:${owner.account}` : ''}/${region ?? config.region ?? ''}`;
      let client = clients.get(key);
      if (!client) {
        client = made(create(region ?? config.region, owner));
        clients.set(key, client);
      }
      return client;
    };
  };
  const as = (region: string | undefined, owner?: OwnerAccount) => ({
    ...settings(region),
    ...(owner ? { credentials: ownerCredentials(owner) } : {}),
  });
  return {
    ecs: made(new ECSClient(settings())),
    ecsOnce: made(new ECSClient({ ...settings(), maxAttempts: 1 })),
    codeDeploy: made(new CodeDeployClient(settings())),
    codeDeployOnce: made(new CodeDeployClient({ ...settings(), maxAttempts: 1 })),
    secretsIn: perRegion((region, owner) => new SecretsManagerClient(as(region, owner))),
    ssmIn: perRegion((region, owner) => new SSMClient(as(region, owner))),
    dynamo: DynamoDBDocumentClient.from(made(new DynamoDBClient(settings())), { marshallOptions: { removeUndefinedValues: true } }),
    events: made(new EventBridgeClient(settings())),
    sns: made(new SNSClient(settings())),
    lambda: made(new LambdaClient(settings())),
    sts,
  };
}

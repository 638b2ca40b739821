import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../config';

/** The AWS SDK clients the adapters use, built once per process. */
export interface AwsClients {
  ecs: ECSClient;
  /**
   * ECS without retries, for UpdateService: not idempotent, so a retry after a lost answer would
   * start a second deployment. The caller checks the service's deployments and retries itself.
   */
  ecsOnce: ECSClient;
  /** Secrets Manager of a region (the home region when undefined). */
  secretsIn(region?: string): SecretsManagerClient;
  /** SSM Parameter Store of a region (metadata only: DescribeParameters). */
  ssmIn(region?: string): SSMClient;
  dynamo: DynamoDBDocumentClient;
  events: EventBridgeClient;
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
    ...(region ? { region } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    retryMode: 'adaptive',
    maxAttempts: config.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: config.connectTimeoutSeconds * 1000,
      // The read timeout: how long the socket may stay idle, as the AWS CLI's --cli-read-timeout.
      socketTimeout: config.readTimeoutSeconds * 1000,
    }),
  };
}

/** Builds every client, with {@link clientSettings}. Regional clients for other regions are built on first use. */
export function buildClients(config: Config, instrument: Instrument = () => undefined): AwsClients {
  const settings = (region = config.region) => clientSettings(config, region);
  const made = <T extends { middlewareStack: unknown }>(client: T): T => {
    instrument(client);
    return client;
  };
  const perRegion = <T extends { middlewareStack: unknown }>(create: (region?: string) => T) => {
    const clients = new Map<string, T>();
    return (region?: string): T => {
      const key = region ?? config.region ?? '';
      let client = clients.get(key);
      if (!client) {
        client = made(create(region ?? config.region));
        clients.set(key, client);
      }
      return client;
    };
  };
  return {
    ecs: made(new ECSClient(settings())),
    ecsOnce: made(new ECSClient({ ...settings(), maxAttempts: 1 })),
    secretsIn: perRegion((region) => new SecretsManagerClient(settings(region))),
    ssmIn: perRegion((region) => new SSMClient(settings(region))),
    dynamo: DynamoDBDocumentClient.from(made(new DynamoDBClient(settings())), { marshallOptions: { removeUndefinedValues: true } }),
    events: made(new EventBridgeClient(settings())),
    lambda: made(new LambdaClient(settings())),
    sts: made(new STSClient(settings())),
  };
}

import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildDeps, BuildOptions, Deps } from '../../functions/aws/clients';
import { Config, loadConfig } from '../../functions/config';
import { silentLogger } from '../../functions/core/logger';
import { emulatorClientConfig } from '../../scripts/lib/aws-fixtures';
import { startMoto, MotoServer } from '../../scripts/lib/moto-server';

/** moto's default account. */
export const MOTO_ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

/** A moto_server of one test file, with clients to seed it and deps for the code under test. */
export interface Emulator {
  moto: MotoServer;
  ecs: ECSClient;
  sm: SecretsManagerClient;
  env: Record<string, string>;
  deps(config?: Partial<Config>, options?: BuildOptions): Deps;
}

/** Starts moto_server on a free loopback port; stop it with `emulator.moto.stop()`. */
export async function startEmulator(): Promise<Emulator> {
  const moto = await startMoto();
  const env = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    STATE_TABLE: 'ecs-secret-redeploy',
    LOG_LEVEL: 'silent',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The SDK's default credential chain reads these from the process environment.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  return {
    moto,
    env,
    ecs: new ECSClient(emulatorClientConfig(moto.endpoint, REGION)),
    sm: new SecretsManagerClient(emulatorClientConfig(moto.endpoint, REGION)),
    deps: (config = {}, options = {}) =>
      buildDeps({ ...loadConfig(env), ...config }, { accountId: MOTO_ACCOUNT, log: silentLogger, ...options }),
  };
}

const SHARED_EVENTS = resolve(__dirname, '../../../shared/events');
const LOCAL_EVENTS = resolve(__dirname, '../fixtures/events');

/** A documented event shape (shared/events, else test/fixtures/events), as parsed JSON. */
export function eventFixture(name: string): Record<string, any> {
  for (const dir of [SHARED_EVENTS, LOCAL_EVENTS]) {
    try {
      return JSON.parse(readFileSync(resolve(dir, name), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`no event fixture ${name}`);
}

/**
 * The events of Secrets Manager for one secret, built from the documented shapes: the placeholder
 * account and secret are swapped for the emulator's.
 */
export function secretEvents(secretArn: string) {
  const account = (e: Record<string, any>) => ({ ...e, account: MOTO_ACCOUNT, region: REGION });
  const apiCall = (eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> | null = { arn: secretArn }) => {
    const base = eventFixture('put-secret-value.cloudtrail.json');
    return account({ ...base, id: `${eventName}-${Math.random()}`, detail: { ...base.detail, eventName, requestParameters: { secretId: secretArn, ...requestParameters }, responseElements } });
  };
  return {
    putSecretValue: (versionStages?: string[]) => apiCall('PutSecretValue', versionStages ? { versionStages } : {}),
    updateSecretVersionStage: (versionStage: string, moveToVersionId: string) => apiCall('UpdateSecretVersionStage', { versionStage, moveToVersionId }),
    rotateSecret: () => apiCall('RotateSecret', {}),
    rotationSucceeded: () => {
      const base = eventFixture('rotation-succeeded.service-event.json');
      return account({ ...base, detail: { ...base.detail, additionalEventData: { SecretId: secretArn } } });
    },
    labelUpdated: (labelUpdated: string, versionId: string) => {
      const base = eventFixture('secret-label-updated.json');
      return account({ ...base, resources: [secretArn], detail: { ...base.detail, labelUpdated, versionId } });
    },
  };
}

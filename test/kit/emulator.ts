import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handleSignal } from '../../functions/app/handle-event';
import { type AwsPorts, awsPorts, type ComposeOptions } from '../../functions/aws/compose';
import { type Config, loadConfig } from '../../functions/config';
import type { Signal } from '../../functions/domain/decode/events';
import type { Report } from '../../functions/domain/report/report';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { silentLogger } from '../../functions/ports/logger';
import type { Ports } from '../../functions/ports/ports';
import { secretEvents as secretEventsIn } from './events';
import { MOTO_ACCOUNT, type MotoServer, startMoto } from './moto';
import { emulatorClientConfig } from './simulated-account';
import { REGION } from './test-account';

export { MOTO_ACCOUNT };

/** A moto_server of one test file, with clients to seed it and the adapters for the code under test. */
export interface Emulator {
  moto: MotoServer;
  ecs: ECSClient;
  sm: SecretsManagerClient;
  /** The environment a deployed function (or the CLI) would have against this emulator. */
  env: Record<string, string>;
  ports(config?: Partial<Config>, options?: ComposeOptions): AwsPorts;
}

/** The environment of a function (or the CLI) run against the emulator at `endpoint`. */
export function emulatorEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    STATE_TABLE: 'ecs-secret-redeploy',
    LOG_LEVEL: 'silent',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Starts moto_server on a free loopback port; stop it with `emulator.moto.stop()`. */
export async function startEmulator(): Promise<Emulator> {
  const moto = await startMoto();
  const env = emulatorEnv(moto.endpoint);
  // The SDK's default credential chain reads these from the process environment.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  return {
    moto,
    env,
    ecs: new ECSClient(emulatorClientConfig(moto.endpoint, REGION)),
    sm: new SecretsManagerClient(emulatorClientConfig(moto.endpoint, REGION)),
    ports: (config = {}, options = {}) =>
      awsPorts({ ...loadConfig(env), ...config }, { accountId: MOTO_ACCOUNT, log: silentLogger, ...options }),
  };
}

/** The events of Secrets Manager for one secret of the emulated account. */
export function secretEvents(secretArn: string) {
  return secretEventsIn(secretArn, { account: MOTO_ACCOUNT, region: REGION });
}

/** Handles a signal as the CLI does: through the index, with the ledger, no deadline. */
export function handle(ports: Ports, signal: Signal, options: { dryRun?: boolean; force?: boolean } = {}): Promise<Report> {
  return handleSignal(ports, signal, { deadline: NO_DEADLINE, dryRun: options.dryRun ?? false }, 'event', {
    force: options.force ?? false,
  });
}

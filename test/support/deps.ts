import { buildDeps, BuildOptions, Deps } from '../../functions/aws/clients';
import { Config, loadConfig } from '../../functions/config';
import { silentLogger } from '../../functions/core/logger';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

/** Deps for unit tests: real client objects (aws-sdk-client-mock intercepts them), no logging. */
export function testDeps(config: Partial<Config> = {}, options: BuildOptions = {}): Deps {
  return buildDeps(
    { ...loadConfig({}), region: REGION, maxAttempts: 1, ...config },
    { accountId: ACCOUNT, log: silentLogger, ...options },
  );
}

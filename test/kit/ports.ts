import { type AwsPorts, awsPorts, type ComposeOptions } from '../../functions/aws/compose';
import { type Config, loadConfig } from '../../functions/config';
import { silentLogger } from '../../functions/ports/logger';
import { ACCOUNT, REGION } from './test-account';

/**
 * The AWS adapters for tests that mock the SDK (aws-sdk-client-mock intercepts the real client
 * classes): one attempt per call, no logging, the account known.
 */
export function testPorts(config: Partial<Config> = {}, options: ComposeOptions = {}): AwsPorts {
  return awsPorts({ ...loadConfig({}), region: REGION, maxAttempts: 1, ...config }, { accountId: ACCOUNT, log: silentLogger, ...options });
}

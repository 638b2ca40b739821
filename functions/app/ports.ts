import type { Config } from '../config';
import type { Clock } from '../ports/clock';
import type { EcsPort } from '../ports/ecs';
import type { IndexStore } from '../ports/index-store';
import type { Ledger } from '../ports/ledger';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import type { Notifier } from '../ports/notifier';
import type { SecretStore } from '../ports/secrets';

/**
 * Everything a use case may touch. `aws/compose.ts` builds it from AWS clients; tests build it
 * from in-memory fakes.
 */
export interface Ports {
  config: Config;
  secrets: SecretStore;
  ecs: EcsPort;
  index: IndexStore;
  ledger: Ledger;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** The account whose services are managed (resolved once, then cached). */
  accountId(): Promise<string>;
}

import type { Config } from '../config';
import type { Chat } from './chat';
import type { Clock } from './clock';
import type { CodeDeployPort } from './codedeploy';
import type { ContinuationTokens } from './continuation';
import type { EcsPort } from './ecs';
import type { IndexStore } from './index-store';
import type { Ledger } from './ledger';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Notifier } from './notifier';
import type { RebuildStore } from './rebuild-store';
import type { RevisionCache } from './revision-cache';
import type { SecretStore } from './secrets';
import type { Wakeups } from './wakeups';

/**
 * Everything a use case may touch. `aws/compose.ts` builds it from AWS clients; tests build it
 * from in-memory fakes.
 */
export interface Ports {
  config: Config;
  secrets: SecretStore;
  ecs: EcsPort;
  /** CodeDeploy, for services whose deployment controller is CODE_DEPLOY. */
  codeDeploy: CodeDeployPort;
  index: IndexStore;
  revisions: RevisionCache;
  /** The index rebuild in flight: its progress, lease and listed pages. */
  rebuilds: RebuildStore;
  ledger: Ledger;
  /** The one-use tokens of the reconciler's continuations. */
  continuations: ContinuationTokens;
  notifier: Notifier;
  /** The team's chat channel (an SNS topic), when configured. */
  chat: Chat;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** One-time reconciles when held consumers may go; absent where none can be made (then the scheduled reconcile catches them). */
  wakeups?: Wakeups;
  /** The account whose services are managed (resolved once, then cached). */
  accountId(): Promise<string>;
}

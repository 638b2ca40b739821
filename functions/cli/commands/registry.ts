import type { CliCommand } from '../command';
import { handleEventCommand } from './handle-event';
import { indexCommand } from './index-commands';
import { initCommand } from './init';
import { planCommand } from './plan';
import { reconcileCommand } from './reconcile';
import { redeployCommand } from './redeploy';
import { resumeCommand } from './resume';
import { secretsCommand } from './secrets';
import { statusCommand } from './status';

/** Every command, in the order of the help. A new command is one file here and one line in this list. */
export const COMMANDS: CliCommand[] = [
  planCommand,
  redeployCommand,
  reconcileCommand,
  statusCommand,
  resumeCommand,
  handleEventCommand,
  initCommand,
  indexCommand,
  secretsCommand,
];

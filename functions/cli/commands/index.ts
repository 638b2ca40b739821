import type { CliCommand } from '../command';
import { handleEventCommand } from './handle-event';
import { indexCommand } from './index-commands';
import { initCommand } from './init';
import { planCommand } from './plan';
import { redeployCommand } from './redeploy';
import { secretsCommand } from './secrets';

/** Every command, in the order of the help. A new command is one file here and one line in this list. */
export const COMMANDS: CliCommand[] = [planCommand, redeployCommand, handleEventCommand, initCommand, indexCommand, secretsCommand];

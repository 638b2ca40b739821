import { createStateTable } from '../../aws/state-table/admin';
import { escapeControl } from '../../domain/text';
import { awsCallsHelp, type CliCommand } from '../command';
import { EXIT } from '../exit';
import { REPORT_FORMATS, textLine } from '../output';

export const initCommand: CliCommand = {
  register(program, cli) {
    program
      .command('init')
      .summary('create the state table if it is missing (in AWS the stack creates it)')
      .description(
        'Creates the DynamoDB state table (index and exactly-once ledger; on-demand, TTL on expiresAt) when it is missing. ' +
          'Idempotent. In AWS the stack creates the table: this is for a local emulator, or a run without the stack.',
      )
      .addHelpText('after', awsCallsHelp(['DynamoDB CreateTable, DescribeTable, UpdateTimeToLive']))
      .action(
        cli.action(REPORT_FORMATS, async (ctx) => {
          const ports = ctx.ports();
          const created = await createStateTable(ports.table);
          const table = ports.table.name;
          ctx.print({
            json: { table, created },
            table: () => `state table "${escapeControl(table)}" ${created ? 'created' : 'already exists'}\n`,
            text: () => textLine(['TABLE', table, created ? 'created' : 'exists']),
          });
          return EXIT.done;
        }),
      );
  },
};

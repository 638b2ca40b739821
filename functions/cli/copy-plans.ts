import { handleSignal } from '../app/handle-event';
import { copiesOf } from '../app/replicas';
import { stateTableExists } from '../aws/state-table/admin';
import { manualSignal } from '../domain/decode/manual-request';
import { errorLine } from '../domain/errors';
import { parseTarget } from '../domain/identity/target';
import type { CopyReport, Report } from '../domain/report/report';
import type { CommandContext } from './command';
import { cliRun, regionOf, type SignalRun } from './signal';

/**
 * The plans of a replicated secret's other copies, each in its region with that region's
 * deployment: its state table (the same STATE_TABLE name in every region, as the stack names
 * it), its index and ledger, its ECS. Read-only, as `plan` is. A region without the table has
 * no deployment: its consumers are not indexed, and the copy says so. A region that cannot be
 * read (no permission, an outage) says why, and the other regions are planned still.
 */
export async function copyPlans(ctx: CommandContext, report: Report, run: SignalRun): Promise<CopyReport[]> {
  const target = report.secret.arn ? parseTarget(report.secret.arn) : undefined;
  if (target?.kind !== 'secret') return [];
  const home = ctx.ports();
  const secret = await home.secrets.describe(target, { readSince: new Date(0) });
  const copies = await copiesOf(home, secret, { readSince: new Date(0) });
  const here = await regionOf(ctx);
  const plans: CopyReport[] = [];
  for (const copy of copies) {
    const ports = copy.region === here ? home : ctx.portsIn(copy.region);
    const entry = { region: copy.region, arn: copy.arn, role: copy.role, ...(copy.status ? { status: copy.status } : {}) };
    try {
      if (run.ledger && !(await stateTableExists(ports.table))) {
        plans.push({
          ...entry,
          note: `no state table "${ports.table.name}" in ${copy.region}: no deployment there, its consumers are not indexed`,
        });
        continue;
      }
      const copyTarget = parseTarget(copy.arn);
      if (!copyTarget) continue;
      const planned = await handleSignal(ports, manualSignal(copyTarget), cliRun(ctx, true), 'manual', {
        force: false,
        inventory: run.scan ? 'scan' : 'index',
        useLedger: run.ledger,
        ...(run.ledger ? {} : { noLedgerNote: '--no-ledger: live scan, no exactly-once guard, no waves' }),
      });
      plans.push({ ...entry, report: planned });
    } catch (error) {
      plans.push({ ...entry, note: `could not be planned in ${copy.region}: ${errorLine(error)}` });
    }
  }
  return plans;
}

import type { Context, EventBridgeEvent } from 'aws-lambda';
import { handleSignal } from '../app/handle-change';
import { decodeEvent } from '../domain/decode/events';
import type { Report } from '../domain/report/report';
import { escapingFailures, lambdaPorts } from './runtime';

/**
 * EventBridge target for Secrets Manager changes. Logs and returns the report; throws when a
 * service failed, so that Lambda's async retry runs again and, thanks to the exactly-once
 * ledger, redeploys only what failed. Bad input (malformed event, unknown secret) throws too:
 * after the retries it lands in the dead-letter queue, where an alarm watches.
 */
async function handle(event: EventBridgeEvent<string, unknown>, context: Context): Promise<Report> {
  const ports = lambdaPorts(context);
  const signal = decodeEvent(event);
  const report = await handleSignal(ports, signal, { dryRun: ports.config.dryRun, force: false, inventory: 'index', useState: true });
  ports.log.info('report', { report });
  const failed = report.services.filter((s) => s.outcome === 'failed');
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${report.services.length} services failed to redeploy: ${failed.map((s) => `${s.serviceName} (${s.reason})`).join('; ')}`,
    );
  }
  return report;
}

export const handler = escapingFailures(handle);

import type { Context } from 'aws-lambda';
import { handleSignal } from '../app/handle-change';
import { decodeManualRequest, manualSignal } from '../domain/decode/manual-request';
import type { Report } from '../domain/report/report';
import { escapingFailures, lambdaPorts } from './runtime';

/**
 * Manual invoke: `{"secretId": "...", "dryRun": true, "force": false}` -> report. The caller
 * reads each service's outcome in the answer; a malformed request or unknown secret is an
 * invocation error with a one-line message.
 */
async function handle(request: unknown, context: Context): Promise<Report> {
  const ports = lambdaPorts(context);
  const manual = decodeManualRequest(request);
  const report = await handleSignal(ports, manualSignal(manual.target), {
    dryRun: manual.dryRun ?? ports.config.dryRun,
    force: manual.force ?? false,
    inventory: 'index',
    useState: true,
  });
  ports.log.info('report', { report });
  return report;
}

export const handler = escapingFailures(handle);

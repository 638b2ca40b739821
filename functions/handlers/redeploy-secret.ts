import type { Context } from 'aws-lambda';
import { handleSignal } from '../app/handle-event';
import { decodeManualRequest, manualDryRun, manualSignal } from '../domain/decode/manual-request';
import type { Report } from '../domain/report/report';
import { escapingFailures, lambdaInvocation, lambdaRun } from './runtime';

/**
 * Manual invoke: `{"secretId": "...", "dryRun": true, "force": false, "ignoreWindows": false}` -> report
 * (`ignoreWindows`: redeploy now whatever the restart windows, for a leaked credential). The caller
 * reads each service's outcome in the answer; a malformed request or unknown secret is an
 * invocation error with a one-line message, and so is `"dryRun": false` on a stack deployed with
 * dryRun=true. What does not fit before the deadline continues in the reconciler, and the report
 * says so.
 */
async function handle(request: unknown, context: Context): Promise<Report> {
  return lambdaInvocation(context, async (ports) => {
    const manual = decodeManualRequest(request);
    const run = lambdaRun(ports, context, manualDryRun(manual, ports.config.dryRun));
    const report = await handleSignal(ports, manualSignal(manual.target), run, 'manual', {
      force: manual.force ?? false,
      ignoreWindows: manual.ignoreWindows === true,
    });
    ports.log.info('report', { report });
    return report;
  });
}

export const handler = escapingFailures(handle);

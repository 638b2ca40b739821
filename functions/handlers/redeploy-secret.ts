import type { Context } from 'aws-lambda';
import { decodeManualRequest, manualDecision } from '../core/events';
import { handleDecision } from '../core/handle-change';
import type { Report } from '../core/report';
import { lambdaDeps } from './runtime';

/**
 * Manual invoke: `{"secretId": "...", "dryRun": true, "force": false}` -> report. The caller
 * reads each service's outcome in the answer; a malformed request or unknown secret is an
 * invocation error with a one-line message.
 */
export async function handler(request: unknown, context: Context): Promise<Report> {
  const deps = lambdaDeps(context);
  const manual = decodeManualRequest(request);
  const report = await handleDecision(deps, manualDecision(manual), {
    dryRun: manual.dryRun ?? deps.config.dryRun,
    force: manual.force ?? false,
    inventory: 'index',
    useState: true,
  });
  deps.log.info('report', { report });
  return report;
}

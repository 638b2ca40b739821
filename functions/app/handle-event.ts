import { decodeCodeDeployEvent, isCodeDeployEvent } from '../domain/decode/codedeploy-event';
import { decodeDeploymentEvent, isEcsEvent } from '../domain/decode/deployment-event';
import type { Trigger } from '../domain/decode/events';
import { decodeEvent, type Signal } from '../domain/decode/events';
import {
  type ContinueSecretRequest,
  decodeContinuation,
  isContinuation,
  isScheduledEvent,
  type RunRequest,
  scheduledRequest,
} from '../domain/decode/run-request';
import { decodeWakeup, isWakeup, type WakeupRequest, wakeupTrigger } from '../domain/decode/wakeup-request';
import { MalformedEventError } from '../domain/errors';
import { parseTarget, regionOf, type Target } from '../domain/identity/target';
import { type CopyReport, ignored, type Report, targetIdentity } from '../domain/report/report';
import { textField } from '../domain/text';
import type { Ports } from '../ports/ports';
import { onCodeDeployChange } from './codedeploy-change';
import { admitContinuation } from './continuation-tokens';
import { onDeploymentChange, type ProgressOutcome } from './deployment-change';
import { fromAllowedSender } from './event-sender';
import { type ReconcileOptions, reconcile } from './reconcile';
import { type ReconcileAllSummary, reconcileAll } from './reconcile-all';
import { targetsInRegion } from './replicas';
import { continueWith, type RunContext, reconcileOptions } from './run-context';
import { warnDeletion, warnRotationFailed } from './warnings';

/**
 * What one event led to: a report about one secret, the summary of a reconcile of every secret, a
 * deployment's progress, or nothing (a continuation another invocation already ran).
 */
export type EventOutcome =
  | { kind: 'report'; report: Report }
  | { kind: 'schedule'; summary: ReconcileAllSummary }
  | { kind: 'deployment'; progress: ProgressOutcome }
  | { kind: 'duplicate'; reason: string };

/** A chain of continuations longer than this is a loop, not work: it stops and fails loudly. */
export const MAX_HOPS = 500;

/**
 * One event, as the reconciler Lambda receives it: a secret or parameter change (reconcile that
 * secret), an ECS or CodeDeploy deployment that ended (a rollout goes on, or halts), the schedule
 * (reconcile every indexed secret), a wakeup (reconcile one secret when a held consumer may go),
 * or a continuation of any of them.
 */
export async function handleEvent(ports: Ports, event: unknown, run: RunContext): Promise<EventOutcome> {
  if (isWakeup(event)) return { kind: 'report', report: await wakeUp(ports, decodeWakeup(event), run) };
  if (isContinuation(event)) {
    const request = decodeContinuation(event);
    const admitted = await admitContinuation(ports, request, run.invocationId);
    return admitted.admitted ? handleRequest(ports, request, run) : { kind: 'duplicate', reason: admitted.reason };
  }
  if (isScheduledEvent(event)) return handleRequest(ports, scheduledRequest(event as Record<string, unknown>), run);
  if (isEcsEvent(event)) {
    const change = decodeDeploymentEvent(event);
    const body = event as Record<string, unknown>;
    const trigger = {
      source: 'aws.ecs',
      detailType: textField(body['detail-type']),
      eventName: change.eventName,
      eventId: textField(body.id),
      time: textField(body.time),
      ...(change.account ? { account: change.account } : {}),
    };
    return { kind: 'deployment', progress: await onDeploymentChange(ports, change, trigger, run) };
  }
  if (isCodeDeployEvent(event)) {
    const change = decodeCodeDeployEvent(event);
    const body = event as Record<string, unknown>;
    const trigger = {
      source: 'aws.codedeploy',
      detailType: textField(body['detail-type']),
      ...(change.state ? { eventName: change.state } : {}),
      eventId: textField(body.id),
      time: textField(body.time),
      ...(change.account ? { account: change.account } : {}),
    };
    return { kind: 'deployment', progress: await onCodeDeployChange(ports, change, trigger, run) };
  }
  const signal = await fromAllowedSender(ports, decodeEvent(event));
  return { kind: 'report', report: await handleSignal(ports, signal, run, 'event') };
}

/**
 * Reconciles what a signal names (or reports why not), continuing in a new run what the deadline
 * cut. An event about a secret of another region also reconciles the copy of that secret here
 * (its replica, or its primary): the consumers here reference their own region's copy, and an
 * event forwarded from the secret's region names the secret there (`report.copies`).
 */
export async function handleSignal(
  ports: Ports,
  signal: Signal,
  run: RunContext,
  origin: 'event' | 'manual',
  options: SignalOptions = {},
): Promise<Report> {
  if (signal.action === 'warn') {
    if (signal.warning === 'rotation-failed')
      return warnRotationFailed(ports, signal.target, signal.trigger, { dryRun: run.dryRun, origin });
    return warnDeletion(ports, signal.target, signal.trigger, { dryRun: run.dryRun, origin, scope: 'one-secret' });
  }
  if (signal.action === 'ignore')
    return ignored(targetIdentity(signal.target), signal.trigger, { origin, scope: 'one-secret', dryRun: run.dryRun }, signal.reason);
  const since = ports.clock.now();
  const report = await reconcileTarget(ports, signal.target, signal.trigger, run, origin, options);
  const copies = origin === 'event' ? await copiesHere(ports, signal.target, signal.trigger, run, { ...options, since }) : [];
  return copies.length > 0 ? { ...report, copies } : report;
}

type SignalOptions = Partial<
  Pick<
    ReconcileOptions,
    'force' | 'inventory' | 'useLedger' | 'allWaves' | 'ignoreWindows' | 'noLedgerNote' | 'onProgress' | 'primaryReadSince'
  >
>;

async function reconcileTarget(
  ports: Ports,
  target: Target,
  trigger: Trigger,
  run: RunContext,
  origin: 'event' | 'manual' | 'schedule',
  options: SignalOptions,
): Promise<Report> {
  const result = await reconcile(ports, target, trigger, reconcileOptions(run, origin, options));
  if (result.unfinished && result.secretArn) {
    await continueWith(
      run,
      {
        kind: 'continue-secret',
        secretArn: result.secretArn,
        origin,
        trigger,
        bucket: result.bucket,
        hop: 1,
        // The rest of a run that ignores windows ignores them too (a leaked credential).
        ...(options.ignoreWindows ? { ignoreWindows: true as const } : {}),
      },
      result.report,
    );
  }
  return result.report;
}

/**
 * The copy here of a secret of another region that an event named, reconciled too. Nothing for a
 * secret of this region (no call: its replicas' regions reconcile those), nor where this run does
 * not know its region.
 */
async function copiesHere(
  ports: Ports,
  target: Target,
  trigger: Trigger,
  run: RunContext,
  { since, ...options }: SignalOptions & { since: Date },
): Promise<CopyReport[]> {
  const home = ports.config.region;
  if (home === undefined || target.kind !== 'secret' || (regionOf(target) ?? home) === home) return [];
  // The named secret was described by its reconcile just before: that answer does.
  const { local } = await targetsInRegion(ports, target, home, { readSince: since });
  if (!local) return [];
  // Its plan reads the primary: the answer the named secret's reconcile got will do too.
  const report = await reconcileTarget(ports, local.target, trigger, run, 'event', { ...options, primaryReadSince: since });
  return [{ region: home, arn: local.arn, role: local.role, ...(local.status ? { status: local.status.status } : {}), report }];
}

async function handleRequest(ports: Ports, request: RunRequest, run: RunContext): Promise<EventOutcome> {
  if (request.hop > MAX_HOPS) throw new MalformedEventError(`continuation hop ${request.hop} exceeds ${MAX_HOPS}: stopped as a loop`);
  if (request.kind === 'reconcile-all') {
    const summary = await reconcileAll(ports, request, run.deadline, run.dryRun, {
      ...(run.updateBucket ? { sharedBucket: run.updateBucket } : {}),
    });
    if (summary.continueFrom)
      await continueWith(run, { ...request, from: summary.continueFrom, bucket: summary.bucket, hop: request.hop + 1 });
    return { kind: 'schedule', summary };
  }
  return { kind: 'report', report: await continueSecret(ports, request, run) };
}

async function continueSecret(ports: Ports, request: ContinueSecretRequest, run: RunContext): Promise<Report> {
  const target = parseTarget(request.secretArn);
  if (!target) throw new MalformedEventError(`continuation names "${request.secretArn}", which is not a secret or parameter ARN`);
  // The run it continues is who asked: its origin goes on, the hop says it is a continuation.
  const result = await reconcile(
    ports,
    target,
    request.trigger,
    reconcileOptions(run, request.origin, {
      hop: request.hop,
      ...(request.bucket ? { bucket: request.bucket } : {}),
      ...(request.ignoreWindows ? { ignoreWindows: true } : {}),
    }),
  );
  if (result.unfinished) await continueWith(run, { ...request, bucket: result.bucket, hop: request.hop + 1 }, result.report);
  return result.report;
}

/** A wakeup's reconcile of its secret: a scheduled run of that one secret, continued like any other past its deadline. */
async function wakeUp(ports: Ports, request: WakeupRequest, run: RunContext): Promise<Report> {
  const target = parseTarget(request.secretArn);
  if (!target) throw new MalformedEventError(`wakeup names "${request.secretArn}", which is not a secret or parameter ARN`);
  return reconcileTarget(ports, target, wakeupTrigger(request), run, 'schedule', {});
}

import type { DeploymentChange } from '../domain/decode/deployment-event';
import type { Trigger } from '../domain/decode/events';
import { parseTarget } from '../domain/identity/target';
import type { CodeDeployRef, LedgerRecord } from '../domain/ledger/record';
import type { Report } from '../domain/report/report';
import type { DeploymentState } from '../domain/rollout/waves';
import type { Ports } from '../ports/ports';
import { commitRecord } from './compare-and-set';
import { deploymentOfThisAccount } from './event-sender';
import { asReported } from './poll-deployments';
import { reconcile } from './reconcile';
import { continueWith, type RunContext, reconcileOptions } from './run-context';

/** What an ECS or CodeDeploy deployment event changed. */
export interface ProgressOutcome {
  service: string;
  deploymentId?: string;
  state?: DeploymentState;
  /** The secrets whose ledger recorded this deployment, and their rollouts continued (when it could change anything). */
  secrets: Array<{ secret: string; recorded: boolean; report?: Report }>;
  /** Why nothing was recorded, when nothing was. */
  reason?: string;
}

/**
 * An "ECS Deployment State Change" event: when the deployment is one this service made for a
 * rollout and is still in progress, its record learns how it ended, and the rollout goes on if
 * this could change it: a failure halts it; the last deployment in progress of its wave (and of
 * the waves before) lets the next wave start, or completes the rollout. Any other deployment (the
 * account's own) changes nothing. Missed events are made up by the scheduled reconcile, which polls.
 *
 * The event only says which deployment to look at: how it ended is what ECS reports (its deployment
 * record, or DescribeServices' rolloutState, as the poll reads them), never what the event claims.
 * A forged COMPLETED or FAILED that ECS does not confirm releases and halts nothing; an event of
 * another account or region is refused (ForeignAccountError).
 */
export async function onDeploymentChange(
  ports: Ports,
  change: DeploymentChange,
  trigger: Trigger,
  run: RunContext,
): Promise<ProgressOutcome> {
  await deploymentOfThisAccount(ports, change, trigger.eventId);
  const state = stateOf(change.eventName);
  const base = { service: change.serviceArn, ...(change.deploymentId ? { deploymentId: change.deploymentId } : {}) };
  if (!state || !change.deploymentId)
    return { ...base, secrets: [], reason: `${change.eventName ?? 'the event'} does not end a deployment` };
  return deploymentEnded(ports, { serviceArn: change.serviceArn, deploymentId: change.deploymentId, state }, trigger, run);
}

/** A deployment of a service that an event says ended (an ECS or a CodeDeploy deployment event). */
export interface DeploymentEnd {
  serviceArn: string;
  deploymentId: string;
  /** As the event says: only what the platform reports counts. */
  state: DeploymentState;
  /** A CodeDeploy deployment: the group the event names, which the record must name too. */
  codeDeploy?: CodeDeployRef;
}

/**
 * What an event saying a deployment ended changes: for each secret whose ledger records it as a
 * deployment this service made for a rollout, still in progress, how it ended as its platform
 * reports it (ECS, or CodeDeploy for a CodeDeploy deployment: see asReported), recorded; the
 * rollout goes on if this could change it. An end the platform does not confirm changes nothing.
 */
export async function deploymentEnded(ports: Ports, end: DeploymentEnd, trigger: Trigger, run: RunContext): Promise<ProgressOutcome> {
  const { state } = end;
  const secrets = await ports.index.secretsOfService(end.serviceArn);
  const outcome: ProgressOutcome = { service: end.serviceArn, deploymentId: end.deploymentId, state, secrets: [] };
  const platform = end.codeDeploy ? 'CodeDeploy' : 'ECS';
  let known: DeploymentState | undefined;
  let unconfirmed: string | undefined;
  for (const secretArn of secrets) {
    const record = await ports.ledger.read(secretArn, end.serviceArn);
    if (!record || record.deploymentId !== end.deploymentId || !record.deployment || !sameGroup(record.codeDeploy, end.codeDeploy))
      continue;
    known = record.deployment.state;
    // A duplicate, or an event arriving after the scheduled run polled how it ended: only a deployment in progress ends.
    if (record.deployment.state !== 'IN_PROGRESS') continue;
    const next = await asReported(ports, record);
    if (next.deployment?.state === 'IN_PROGRESS') {
      unconfirmed = `${platform} reports deployment ${end.deploymentId} still in progress: the event's ${state} is not confirmed, nothing changes`;
      continue;
    }
    const recorded = (await commitRecord(ports.ledger, next, record.rev)).written;
    const entry: ProgressOutcome['secrets'][number] = { secret: secretArn, recorded };
    if (recorded && (await mayAdvance(ports, next))) {
      const target = parseTarget(secretArn);
      if (target) {
        const result = await reconcile(ports, target, trigger, reconcileOptions(run, 'event'));
        entry.report = result.report;
        if (result.unfinished)
          await continueWith(
            run,
            { kind: 'continue-secret', secretArn, origin: 'event', trigger, ...(result.bucket ? { bucket: result.bucket } : {}), hop: 1 },
            result.report,
          );
      }
    }
    outcome.secrets.push(entry);
  }
  if (unconfirmed) {
    ports.metrics.add('EventsRefused', 1);
    ports.log.warn(`deployment event not confirmed by ${platform}`, {
      eventId: trigger.eventId,
      service: end.serviceArn,
      reason: unconfirmed,
    });
  }
  if (outcome.secrets.length === 0)
    outcome.reason = unconfirmed ?? (known ? `already recorded as ${known}` : 'not a deployment this service made for a rollout');
  return outcome;
}

/**
 * True when the rollout may change now: a failure (it halts), or no other deployment of the
 * rollout still in progress (or claimed, about to be) in this wave or an earlier one (the next
 * wave may start, or the rollout complete). Otherwise a completion changes nothing yet, and costs one Query.
 */
async function mayAdvance(ports: Ports, record: LedgerRecord): Promise<boolean> {
  if (record.deployment?.state === 'FAILED') return true;
  const { services } = await ports.ledger.records(record.secretArn);
  const wave = record.slot?.wave ?? Number.POSITIVE_INFINITY;
  const key = record.slot?.key;
  const inFlight = (r: LedgerRecord) => {
    const claimedFor = r.state === 'claimed' ? r.claim.slot : undefined;
    if (claimedFor && claimedFor.key === key) return claimedFor.wave <= wave;
    return r.slot?.key === key && r.deployment?.state === 'IN_PROGRESS' && (r.slot?.wave ?? 0) <= wave;
  };
  return !services.some((r) => r.serviceArn !== record.serviceArn && inFlight(r));
}

/** An ECS deployment names no group; a CodeDeploy one is the record's only through the group the record names. */
function sameGroup(recorded: CodeDeployRef | undefined, named: CodeDeployRef | undefined): boolean {
  return recorded?.application === named?.application && recorded?.group === named?.group;
}

function stateOf(eventName: string | undefined): DeploymentState | undefined {
  if (eventName === 'SERVICE_DEPLOYMENT_COMPLETED') return 'COMPLETED';
  if (eventName === 'SERVICE_DEPLOYMENT_FAILED') return 'FAILED';
  return undefined;
}

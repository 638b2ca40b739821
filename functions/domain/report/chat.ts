/**
 * Messages for a team's chat channel: one short message per rollout step (started, a wave done,
 * halted with the reason, completed) and per failed rotation, in the custom-notification format
 * that AWS's chat integration (AWS Chatbot, now "Amazon Q Developer in chat applications")
 * renders in Slack and Microsoft Teams when it receives it from an SNS topic the channel is
 * configured with:
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html ("Event schema":
 * `version` "1.0" and `source` "custom" are required, as is `content.description`; `textType`
 * "client-markdown" is the one text type; `title`, `nextSteps`, `keywords`, `id` and `metadata`
 * `{threadId, summary, eventType, relatedResources, additionalContext}` are optional).
 *
 * Pure and table-driven: a new announcement is one member of {@link ChatEvent} and one row of
 * {@link RENDERERS}. The input names services,
 * versions and counts, never a value: no field of a {@link ChatEvent} can hold one
 * (test/unit/domain/report/chat.test.ts checks the types and the messages).
 */

import type { Announcement } from '../plan/reconcile-plan';
import { andMore, escapeControl, fitted, plural } from '../text';

/** How a message names the secret: by name and ARN, never with a value. */
export interface ChatSecret {
  arn: string;
  name: string;
  kind: 'secret' | 'parameter';
}

/** Stage (a parameter: `version`) -> the version id (or number) it points to. */
export type ChatVersions = Record<string, string>;

/** What a message is about. The fields are names, ids, counts and times, never a secret's value. */
export type ChatEvent =
  | { kind: 'rollout-started'; secret: ChatSecret; rollout: string; versions: ChatVersions; wave?: number; services: string[] }
  | { kind: 'wave-done'; secret: ChatSecret; rollout: string; versions: ChatVersions; wave: number; next: number; services: string[] }
  | {
      kind: 'rollout-halted';
      secret: ChatSecret;
      rollout: string;
      versions: ChatVersions;
      wave: number;
      failed: Array<{ serviceArn: string; serviceName: string; deploymentId?: string; reason?: string }>;
    }
  | {
      kind: 'rollout-completed';
      secret: ChatSecret;
      rollout: string;
      versions: ChatVersions;
      services: number;
      waves: number[];
      startedAt: string;
      completedAt: string;
    }
  | { kind: 'rotation-failed'; secret: ChatSecret; event: string; consumers: string[]; standaloneTasks: number }
  | {
      kind: 'waiting-for-windows';
      secret: ChatSecret;
      rollout: string;
      versions: ChatVersions;
      services: Array<{ serviceName: string; opensAt?: string; deadline: string }>;
    }
  | {
      kind: 'deadline-missed';
      secret: ChatSecret;
      rollout: string;
      versions: ChatVersions;
      services: Array<{ serviceArn: string; serviceName: string; deadline: string; reason: string }>;
    }
  | {
      kind: 'replication-failed';
      secret: ChatSecret;
      region: string;
      primaryRegion: string;
      statusMessage?: string;
      consumers: string[];
    };

/** Where a message points its reader: the command that shows the rollout, the stack's dashboard. */
export interface ChatLinks {
  /** The CLI's name, as a person types it. */
  cli: string;
  /** The stack's CloudWatch dashboard in the console, when known. */
  dashboardUrl?: string;
}

/** A custom notification, as the chat integration's event schema has it. */
export interface ChatNotification {
  version: '1.0';
  source: 'custom';
  id?: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps?: string[];
    keywords?: string[];
  };
  metadata?: {
    threadId?: string;
    summary?: string;
    eventType?: string;
    relatedResources?: string[];
    additionalContext?: Record<string, string>;
  };
}

/** What a renderer writes of one event; the rest of the message is the same for all. */
interface Rendered {
  title: string;
  description: string;
  nextSteps: string[];
  /** Thread the messages of one rollout (or of a secret's rotations) together. */
  thread: string;
  related?: string[];
}

type Renderers = { [K in ChatEvent['kind']]: (event: Extract<ChatEvent, { kind: K }>, links: ChatLinks) => Rendered };

/** One row per kind of message. */
export const RENDERERS: Renderers = {
  'rollout-started': (e, links) => ({
    title: `${e.secret.name}: rollout started`,
    description:
      `New ${versionsText(e)} of ${code(e.secret.name)}: ` +
      `${e.wave === undefined ? 'every wave at once' : `wave ${e.wave}`} is being redeployed: ${servicesText(e.services)}.`,
    nextSteps: [watch(e, links)],
    thread: rolloutThread(e),
  }),
  'wave-done': (e, links) => ({
    title: `${e.secret.name}: wave ${e.wave} done`,
    description:
      `Every deployment of wave ${e.wave} completed (${versionsText(e)}). ` +
      `Wave ${e.next} is being redeployed: ${servicesText(e.services)}.`,
    nextSteps: [watch(e, links)],
    thread: rolloutThread(e),
  }),
  'rollout-halted': (e, links) => ({
    title: `${e.secret.name}: rollout halted at wave ${e.wave}`,
    description:
      `A deployment of wave ${e.wave} failed (${versionsText(e)}); no later wave starts until it is resumed, or a newer version ` +
      `starts a new rollout.\n${e.failed.map(failedText).join('\n')}`,
    nextSteps: [
      `Fix the cause, then release the next waves: ${code(`${links.cli} resume ${e.secret.arn}`)}`,
      `See every consumer: ${code(`${links.cli} status ${e.secret.arn}`)}`,
    ],
    thread: rolloutThread(e),
    related: e.failed.map((f) => f.serviceArn),
  }),
  'rollout-completed': (e, links) => ({
    title: `${e.secret.name}: rollout completed`,
    description:
      `Every consumer of ${code(e.secret.name)} runs ${versionsText(e)}: ${plural(e.services, 'service')} in ` +
      `${e.waves.length === 1 ? 'wave' : 'waves'} ${e.waves.join(', ')}, from ${e.startedAt} to ${e.completedAt}.`,
    nextSteps: [`See every consumer: ${code(`${links.cli} status ${e.secret.arn}`)}`],
    thread: rolloutThread(e),
  }),
  'waiting-for-windows': (e, links) => ({
    title: `${e.secret.name}: ${plural(e.services.length, 'service')} waiting for a restart window`,
    description:
      `New ${versionsText(e)} of ${code(e.secret.name)}: these restart in their window, at the latest by their deadline.\n` +
      e.services
        .map((s) => `- ${code(s.serviceName)}: ${s.opensAt ? `window opens ${s.opensAt}` : 'no window opens'}; deadline ${s.deadline}`)
        .join('\n'),
    nextSteps: [watch(e, links), `Restart now, whatever the windows: ${code(`${links.cli} redeploy ${e.secret.arn} --ignore-windows`)}`],
    thread: rolloutThread(e),
  }),
  'deadline-missed': (e, links) => ({
    title: `${e.secret.name}: restart deadline missed`,
    description:
      `These consumers still run an older version than ${versionsText(e)} past their restart deadline:\n` +
      e.services.map((s) => `- ${code(s.serviceName)} (deadline ${s.deadline}): ${code(s.reason)}`).join('\n'),
    nextSteps: [`See why they wait: ${code(`${links.cli} status ${e.secret.arn}`)}`],
    thread: rolloutThread(e),
    related: e.services.map((s) => s.serviceArn),
  }),
  'rotation-failed': (e, links) => ({
    title: `${e.secret.name}: rotation failed`,
    description:
      `Secrets Manager reported ${code(e.event)}: nothing was redeployed, the consumers keep the current value. ` +
      `${e.consumers.length > 0 ? `${servicesText(e.consumers)} use it` : 'No service uses it'}` +
      `${e.standaloneTasks > 0 ? `, and ${plural(e.standaloneTasks, 'standalone task')}` : ''}. ` +
      'Fix the rotation before the old credential expires.',
    nextSteps: [`See every consumer: ${code(`${links.cli} status ${e.secret.arn}`)}`],
    thread: `${e.secret.arn}#rotation`,
  }),
  'replication-failed': (e, links) => ({
    title: `${e.secret.name}: replication to ${e.region} failed`,
    description:
      `The replica of ${code(e.secret.name)} in ${code(e.region)} failed to replicate from ${code(e.primaryRegion)}` +
      `${e.statusMessage ? ` (${code(e.statusMessage)})` : ''}: ${servicesText(e.consumers)} keep what it holds, and the ` +
      "primary's changes do not reach them until the replication is repaired.",
    nextSteps: [
      `Repair it (the console's Retry replication, or ${code('aws secretsmanager replicate-secret-to-regions')} in ${code(e.primaryRegion)})`,
      `See the replica and its consumers: ${code(`${links.cli} status ${e.secret.name} --region ${e.region}`)}`,
    ],
    thread: `${e.secret.arn}#replication`,
  }),
};

/** The custom notification of one event. */
export function chatMessage(event: ChatEvent, links: ChatLinks): ChatNotification {
  const rendered = (RENDERERS[event.kind] as (e: ChatEvent, l: ChatLinks) => Rendered)(event, links);
  const dashboard = links.dashboardUrl ? [`Dashboard: ${links.dashboardUrl}`] : [];
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: fitted(escapeControl(rendered.title), TITLE_MAX),
      description: fitted(rendered.description, DESCRIPTION_MAX),
      nextSteps: [...rendered.nextSteps, ...dashboard],
      keywords: ['ecs-secret-redeploy', event.kind],
    },
    metadata: {
      threadId: rendered.thread,
      summary: fitted(escapeControl(rendered.title), TITLE_MAX),
      eventType: event.kind,
      relatedResources: [event.secret.arn, ...(rendered.related ?? [])],
      additionalContext: { secret: event.secret.name, kind: event.secret.kind },
    },
  };
}

/** The chat event of a rollout's announcement (or of a failed replication a run recorded). */
export function rolloutChatEvent(secret: ChatSecret, rollout: string, versions: ChatVersions, announcement: Announcement): ChatEvent {
  const common = { secret, rollout, versions };
  switch (announcement.kind) {
    case 'rollout-started':
      return {
        kind: 'rollout-started',
        ...common,
        ...(announcement.wave !== undefined ? { wave: announcement.wave } : {}),
        services: announcement.services,
      };
    case 'wave-done':
      return { kind: 'wave-done', ...common, wave: announcement.wave, next: announcement.next, services: announcement.services };
    case 'rollout-halted':
      return { kind: 'rollout-halted', ...common, wave: announcement.wave, failed: announcement.failed };
    case 'rollout-completed':
      return {
        kind: 'rollout-completed',
        ...common,
        services: announcement.services,
        waves: announcement.waves,
        startedAt: announcement.startedAt,
        completedAt: announcement.at,
      };
    case 'waiting-for-windows':
      return {
        kind: 'waiting-for-windows',
        ...common,
        services: announcement.services.map(({ serviceName, opensAt, deadline }) => ({
          serviceName,
          ...(opensAt ? { opensAt } : {}),
          deadline,
        })),
      };
    case 'deadline-missed':
      return {
        kind: 'deadline-missed',
        ...common,
        services: announcement.services.map(({ serviceArn, serviceName, deadline, reason }) => ({
          serviceArn,
          serviceName,
          deadline,
          reason,
        })),
      };
    case 'replication-failed':
      return {
        kind: 'replication-failed',
        secret,
        region: announcement.region,
        primaryRegion: announcement.primaryRegion,
        ...(announcement.statusMessage ? { statusMessage: announcement.statusMessage } : {}),
        consumers: announcement.consumers.map((c) => c.serviceName),
      };
  }
}

/** The console's host in each partition that has one; another partition gets no dashboard link. */
const CONSOLE_HOSTS: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** The console URL of a CloudWatch dashboard. */
export function dashboardUrl(where: { partition: string; region: string; name: string }): string | undefined {
  const host = CONSOLE_HOSTS[where.partition];
  if (!host) return undefined;
  const region = encodeURIComponent(where.region);
  return `https://${host}/cloudwatch/home?region=${region}#dashboards:name=${encodeURIComponent(where.name)}`;
}

/** Longest title and description kept: a chat message stays short (a long list is cut, its count kept). */
const TITLE_MAX = 250;
const DESCRIPTION_MAX = 3000;
/** Names listed before "and N more". */
const NAMES_SHOWN = 10;

function watch(e: { secret: ChatSecret }, links: ChatLinks): string {
  return `Follow it: ${code(`${links.cli} status ${e.secret.arn} --watch`)}`;
}

function rolloutThread(e: { secret: ChatSecret; rollout: string }): string {
  return `${e.secret.arn}#${e.rollout}`;
}

function versionsText(e: { secret: ChatSecret; versions: ChatVersions }): string {
  const entries = Object.entries(e.versions).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return 'version';
  const text = entries.map(([stage, id]) => (e.secret.kind === 'parameter' ? `version ${id}` : `${stage}=${id}`)).join(', ');
  return code(text);
}

function servicesText(names: string[]): string {
  const sorted = [...names].sort();
  const shown = andMore(sorted.slice(0, NAMES_SHOWN).map(code), sorted.length);
  return `${plural(sorted.length, 'service')}${sorted.length > 0 ? ` (${shown})` : ''}`;
}

function failedText(f: { serviceName: string; deploymentId?: string; reason?: string }): string {
  const deployment = f.deploymentId ? ` deployment ${code(f.deploymentId)}` : '';
  return `- ${code(f.serviceName)}${deployment}: ${f.reason ? code(f.reason) : 'failed'}`;
}

/**
 * Text from outside (names, ECS's reasons) as inline code: shown as written in Slack and Teams,
 * never read as markup or a mention; backticks inside it cannot end the span.
 */
function code(text: string): string {
  return `\`${escapeControl(text).replace(/`/g, "'")}\``;
}

import type { Config } from '../config';
import { locationOf } from '../domain/identity/arn';
import { type ChatEvent, type ChatLinks, type ChatSecret, chatMessage, dashboardUrl } from '../domain/report/chat';
import type { Report } from '../domain/report/report';
import type { Ports } from '../ports/ports';

/**
 * Posts the chat messages of these events (rendered by the pure renderer, domain/report/chat.ts)
 * to the team's channel, when one is configured; a warning when it failed.
 */
export async function postToChat(ports: Pick<Ports, 'chat' | 'config'>, events: ChatEvent[]): Promise<string | undefined> {
  if (events.length === 0) return undefined;
  const links = chatLinks(ports.config);
  return ports.chat.post(events.map((event) => chatMessage(event, links)));
}

/** What the messages link: the CLI's commands, and the stack's dashboard in the console of the topic's partition. */
export function chatLinks(config: Pick<Config, 'chatTopicArn' | 'dashboardName' | 'region'>): ChatLinks {
  const partition = config.chatTopicArn ? locationOf(config.chatTopicArn)?.partition : undefined;
  const url =
    partition && config.region && config.dashboardName
      ? dashboardUrl({ partition, region: config.region, name: config.dashboardName })
      : undefined;
  return { cli: 'ecs-secret-redeploy', ...(url ? { dashboardUrl: url } : {}) };
}

/** How the messages name a report's secret (undefined for one that could not be described: no message names it). */
export function chatSecret(secret: Report['secret']): ChatSecret | undefined {
  if (!secret.arn) return undefined;
  return { arn: secret.arn, name: secret.name ?? secret.arn, kind: secret.kind ?? 'secret' };
}

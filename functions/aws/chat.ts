import { PublishCommand } from '@aws-sdk/client-sns';
import { errorLine } from '../domain/errors';
import { type Chat, noChat } from '../ports/chat';
import type { AwsClients } from './clients';

/**
 * Chat messages published to the SNS topic a chat channel is configured with (AWS Chatbot /
 * Amazon Q Developer in chat applications), one Publish each: the message is the custom
 * notification's JSON, which is what the integration reads. No topic, no chat. A failed publish
 * is a warning in the report, never a failed run (the rollout happened either way).
 */
export function snsChat(clients: Pick<AwsClients, 'sns'>, topicArn: string | undefined): Chat {
  if (!topicArn) return noChat;
  return {
    async post(messages) {
      const failures: string[] = [];
      for (const message of messages) {
        try {
          await clients.sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(message) }));
        } catch (error) {
          failures.push(errorLine(error));
        }
      }
      return failures.length > 0 ? `chat message not published: ${failures.join('; ')}` : undefined;
    },
  };
}

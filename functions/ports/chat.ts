import type { ChatNotification } from '../domain/report/chat';

/** Where a team's chat channel hears of rollouts and failed rotations (an SNS topic the chat integration is configured with). */
export interface Chat {
  /** Posts the messages; returns a warning instead of throwing: the work happened either way. */
  post(messages: ChatNotification[]): Promise<string | undefined>;
}

/** No chat target configured: nothing is posted. */
export const noChat: Chat = { post: async () => undefined };

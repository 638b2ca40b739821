import { callName, callWatch, WAITING_AFTER_MS, waitingLine } from '../../../functions/cli/waiting';

describe('the notice of a call waited for', () => {
  it('names the call as the AWS CLI would', () => {
    expect(callName('DynamoDBClient', 'DescribeTableCommand')).toBe('DynamoDB DescribeTable');
    expect(callName(undefined, undefined)).toBe('a call');
  });

  it('says nothing for the first seconds, then which call waits, where, and for how long', () => {
    const calls = [
      { call: 'ECS DescribeServices', since: 5_000 },
      { call: 'STS GetCallerIdentity', since: 1_000 },
    ];
    expect(waitingLine(calls, 1_000 + WAITING_AFTER_MS - 1, 'AWS')).toBeUndefined();
    expect(waitingLine(calls, 13_500, '"http://127.0.0.1:4566"')).toBe(
      'waiting for "http://127.0.0.1:4566" to answer STS GetCallerIdentity: 12s (Ctrl-C to stop)',
    );
    expect(waitingLine([], 60_000, 'AWS')).toBeUndefined();
  });

  it('shows the line while a call waits through the SDK middleware, and takes it away when it answers', async () => {
    jest.useFakeTimers();
    try {
      let clock = 0;
      const shown: Array<string | undefined> = [];
      const watch = callWatch(
        (line) => shown.push(line),
        () => 'AWS',
        () => clock,
      );
      let middleware: ((next: (a: unknown) => Promise<unknown>, c: object) => (a: unknown) => Promise<unknown>) | undefined;
      watch.instrument({ middlewareStack: { add: (m: typeof middleware) => (middleware = m) } });
      let answer: (value: unknown) => void = () => undefined;
      const pending = middleware?.(() => new Promise((resolve) => (answer = resolve)), {
        clientName: 'DynamoDBClient',
        commandName: 'DescribeTableCommand',
      })({});
      for (let s = 1; s <= 5; s++) {
        clock = s * 1000;
        jest.advanceTimersByTime(1000);
      }
      expect(shown).toEqual([
        'waiting for AWS to answer DynamoDB DescribeTable: 3s (Ctrl-C to stop)',
        'waiting for AWS to answer DynamoDB DescribeTable: 4s (Ctrl-C to stop)',
        'waiting for AWS to answer DynamoDB DescribeTable: 5s (Ctrl-C to stop)',
      ]);
      answer('ok');
      await pending;
      expect(shown[shown.length - 1]).toBeUndefined();
      watch.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});

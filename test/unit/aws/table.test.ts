import { untilProcessed } from '../../../functions/aws/state-table/table';

/*
 * BatchWriteItem and BatchGetItem may leave part of a batch unprocessed (throttling, 16 MB): the
 * rest is sent again after a growing pause, and a batch that never goes through is an error, not
 * a silent loss (DynamoDB API reference, BatchWriteItem / BatchGetItem "UnprocessedItems").
 */

describe('untilProcessed', () => {
  afterEach(() => jest.useRealTimers());

  it('sends again only what was left unprocessed, until nothing is', async () => {
    const sent: number[][] = [];
    const left = [[3], []];
    jest.useFakeTimers();
    const done = untilProcessed('writes', [1, 2, 3], async (batch) => {
      sent.push(batch);
      return left.shift() ?? [];
    });
    await jest.runAllTimersAsync();
    await done;

    expect(sent).toEqual([[1, 2, 3], [3]]);
  });

  it('gives up after 8 retries with what is still unprocessed', async () => {
    jest.useFakeTimers();
    let attempts = 0;
    const done = untilProcessed('reads', ['a', 'b'], async (batch) => {
      attempts += 1;
      // The first goes through; the second never does.
      return batch.filter((key) => key === 'b');
    });
    const failed = expect(done).rejects.toThrow('DynamoDB left 1 reads unprocessed after 8 retries');
    await jest.runAllTimersAsync();
    await failed;

    expect(attempts).toBe(9);
  });
});

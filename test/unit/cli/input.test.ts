import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MAX_INPUT_BYTES, readJsonInput } from '../../../functions/cli/input';
import type { Io } from '../../../functions/cli/io';
import { BadInputError, MalformedEventError } from '../../../functions/domain/errors';

const dir = mkdtempSync(join(tmpdir(), 'esr-input-'));

function stdin(...chunks: (string | Buffer)[]): Io {
  return { stdout: () => undefined, stderr: () => undefined, stdin: () => Readable.from(chunks), stdoutIsTty: false, stderrIsTty: false };
}

describe('readJsonInput', () => {
  it('parses JSON from a file and from standard input, in chunks', async () => {
    const file = join(dir, 'event.json');
    writeFileSync(file, '{"a": [1, 2]}');
    expect(await readJsonInput(file, stdin())).toEqual({ a: [1, 2] });
    expect(await readJsonInput('-', stdin('{"a":', ' 1}'))).toEqual({ a: 1 });
  });

  it('takes input of exactly the limit', async () => {
    const text = `"${'x'.repeat(MAX_INPUT_BYTES - 2)}"`;
    expect(await readJsonInput('-', stdin(text))).toHaveLength(MAX_INPUT_BYTES - 2);
  });

  it.each([
    ['standard input one byte over the limit', '-', stdin(`"${'x'.repeat(MAX_INPUT_BYTES - 1)}"`), 'standard input is larger than 1 MiB'],
    // A character device without end: reading it to its end once grew the process to 12.5 GB.
    ['/dev/zero', '/dev/zero', stdin(), '"/dev/zero" is larger than 1 MiB'],
  ])('refuses %s before parsing it', async (_label, source, io, message) => {
    await expect(readJsonInput(source, io)).rejects.toThrow(
      new BadInputError(`${message}: refused (an EventBridge event is at most 256 KB)`),
    );
  });

  it('stops reading a large file at the limit', async () => {
    const file = join(dir, 'big.json');
    writeFileSync(file, Buffer.alloc(3 * MAX_INPUT_BYTES, 0x20));
    await expect(readJsonInput(file, stdin(), 1024)).rejects.toThrow('is larger than 1 MiB');
  });

  it.each([
    ['a file that does not exist', join(dir, 'missing.json'), 'ENOENT'],
    ['a directory', dir, 'EISDIR'],
  ])('refuses %s as bad input, naming the error code', async (_label, source, code) => {
    await expect(readJsonInput(source, stdin())).rejects.toThrow(new BadInputError(`cannot read "${source}": ${code}`));
  });

  it.each([
    ['text that is not JSON', '{"source": ', 'standard input is not JSON'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'standard input is not UTF-8 text'],
  ])('refuses %s as a malformed event', async (_label, input, message) => {
    const failure = readJsonInput('-', stdin(input));
    await expect(failure).rejects.toThrow(MalformedEventError);
    await expect(readJsonInput('-', stdin(input))).rejects.toThrow(message);
  });
});

import { createReadStream } from 'node:fs';
import { BadInputError, MalformedEventError } from '../domain/errors';
import { quoted } from '../domain/text';
import type { Io } from './io';

/**
 * Input is refused past 1 MiB before it is parsed: an EventBridge event is at most 256 KB, and
 * reading `/dev/zero` to its end grew the process to 12.5 GB.
 */
export const MAX_INPUT_BYTES = 1024 * 1024;

/**
 * Reads a JSON document from a file, or from standard input for `-`, at most `maxBytes` of it.
 * Throws BadInputError when the input cannot be read or is too large, MalformedEventError when it
 * is not JSON.
 */
export async function readJsonInput(source: string, io: Io, maxBytes = MAX_INPUT_BYTES): Promise<unknown> {
  const name = source === '-' ? 'standard input' : quoted(source, 100);
  let bytes: Buffer | undefined;
  try {
    // `end` is inclusive: one byte past the limit is enough to know the input is too large.
    bytes = await readAtMost(source === '-' ? io.stdin() : createReadStream(source, { end: maxBytes }), maxBytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadInputError(`cannot read ${name}: ${code ?? (error as Error).message}`, { cause: error });
  }
  if (!bytes)
    throw new BadInputError(
      `${name} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: refused (an EventBridge event is at most 256 KB)`,
    );
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new MalformedEventError(`${name} is not UTF-8 text`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedEventError(`${name} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The whole stream, or undefined as soon as it passes `maxBytes` (the rest is never read). */
async function readAtMost(stream: AsyncIterable<Buffer | string>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    // Leaving the loop ends the stream's iterator, which destroys the stream.
    if (size > maxBytes) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

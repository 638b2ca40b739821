import { endingOf } from './exit';
import { type Io, processIo } from './io';
import { buildProgram, type RunState } from './program';

export type { Io } from './io';

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const state: RunState = { exitCode: 0 };
  try {
    await buildProgram(io, state).parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    const ending = endingOf(error, { endpoint: state.config?.endpoint });
    if (ending.message) io.stderr(`error: ${ending.message}\n`);
    return ending.code;
  }
}

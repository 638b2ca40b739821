import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';

/**
 * A moto_server of the stack tests' own, on a free loopback port. Each test file starts its own
 * (and so gets an empty account) and stops it by PID in afterAll.
 */
export interface Moto {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Dummy credentials and region: moto accepts any, and nothing here may reach real AWS. */
export const MOTO_CLIENT_CONFIG = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
};

/** The command that starts moto: `moto_server` on PATH unless MOTO_SERVER names another. */
const MOTO_COMMAND = process.env.MOTO_SERVER ?? 'moto_server';

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child = spawn(MOTO_COMMAND, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'eu-west-1' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${MOTO_COMMAND}: ${err.message} (install it with pip install "moto[server]")`)));
    child.once('spawn', () => resolve(child.pid as number));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const moto: Moto = { endpoint, port, pid: spawned, stop: () => stopProcess(child) };
  try {
    await waitUntilUp(endpoint, child, () => stderr);
  } catch (err) {
    await moto.stop();
    throw err;
  }
  return moto;
}

async function waitUntilUp(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr()}`);
    // Any HTTP answer means it listens; a refused connection means not yet.
    const answered = await fetch(`${endpoint}/`).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr()}`);
}

/** Ends the one process we started, by its PID, and waits until it is gone. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

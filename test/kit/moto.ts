import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A moto_server of its own, on a free loopback port, stopped by its PID. Each test file (and the
 * demo, and each size of the benchmark) starts one, and so gets an empty account.
 */
export interface MotoServer {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Dummy credentials and region for clients of the emulator: moto accepts any, and nothing here may reach AWS. */
export const MOTO_CLIENT_CONFIG = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
};

/** moto's default account. */
export const MOTO_ACCOUNT = '123456789012';

/** The Python that has moto installed: `python3` on PATH unless MOTO_PYTHON names another. */
const MOTO_PYTHON = process.env.MOTO_PYTHON ?? 'python3';

/**
 * moto_server, with the answers where moto differs from AWS in a way the product depends on
 * corrected before the server starts:
 * - AWS's ListSecretVersionIds answers each version's CreatedDate; moto 5.2 answers "now" for
 *   every version, though it stores the real time. First sight (a pair without a ledger record)
 *   compares that time with the deployment's creation.
 * - ECS ends a service deployment by itself: DescribeServices shows its rolloutState COMPLETED once
 *   the service reached a steady state, FAILED (with rolloutStateReason) once the circuit breaker
 *   stopped it, and a forced new deployment starts IN_PROGRESS. moto runs no task, so its
 *   deployments never end, and its forced new deployment takes over the previous one's state. The
 *   launcher starts every forced deployment IN_PROGRESS, and lets a test play ECS's scheduler:
 *   POST /moto-test/ecs/deployment-state {account, region, service, deploymentId, rolloutState,
 *   reason} ends that deployment, as DescribeServices then shows it (see endEcsDeployment). Nothing
 *   ends unless a test says so: the product confirms every deployment event with ECS, so a test
 *   that tells it a deployment ended first makes ECS say so, as it would.
 */
const MOTO_SCRIPT = `
import json, sys
from moto.secretsmanager.models import SecretsManagerBackend
listed = SecretsManagerBackend.list_secret_version_ids
def list_secret_version_ids(self, secret_id):
    answer = json.loads(listed(self, secret_id))
    versions = self.secrets[secret_id].versions
    for version in answer["Versions"]:
        version["CreatedDate"] = versions[version["VersionId"]]["createdate"]
    return json.dumps(answer)
SecretsManagerBackend.list_secret_version_ids = list_secret_version_ids

from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
updated = EC2ContainerServiceBackend.update_service
def update_service(self, service_properties):
    forced = service_properties.get("force_new_deployment", False)
    service = updated(self, service_properties)
    if forced and service.deployments:
        deployment = service.deployments[0]
        deployment["rolloutState"] = "IN_PROGRESS"
        deployment["rolloutStateReason"] = "ECS deployment %s in progress." % deployment["id"]
    return service
EC2ContainerServiceBackend.update_service = update_service

import moto.server as server
Dispatcher = server.DomainDispatcherApplication
def end_deployment(environ, start_response):
    def answer(status, body):
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]
    size = int(environ.get("CONTENT_LENGTH") or 0)
    asked = json.loads(environ["wsgi.input"].read(size) or b"{}")
    backend = ecs_backends[asked["account"]][asked["region"]]
    for service in backend.services.values():
        if service.arn != asked["service"]:
            continue
        for deployment in service.deployments:
            if deployment["id"] == asked["deploymentId"]:
                deployment["rolloutState"] = asked["rolloutState"]
                deployment["rolloutStateReason"] = asked.get("reason") or "ECS deployment %s %s." % (deployment["id"], asked["rolloutState"].lower())
                return answer("200 OK", {"id": deployment["id"], "rolloutState": deployment["rolloutState"]})
    return answer("404 Not Found", {"message": "no deployment %s of %s" % (asked["deploymentId"], asked["service"])})
class WithTestControls(Dispatcher):
    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/moto-test/ecs/deployment-state" and environ.get("REQUEST_METHOD") == "POST":
            return end_deployment(environ, start_response)
        return super().__call__(environ, start_response)
server.DomainDispatcherApplication = WithTestControls
server.main(sys.argv[1:])
`;

/**
 * Plays ECS's scheduler on the emulator: the service's deployment ended (COMPLETED, or FAILED with
 * ECS's reason), as DescribeServices then shows it. ECS sends its "ECS Deployment State Change"
 * event after this; a test that hands the product that event calls this first.
 */
export async function endEcsDeployment(
  moto: Pick<MotoServer, 'endpoint'>,
  ended: {
    service: string;
    deploymentId: string;
    rolloutState: 'COMPLETED' | 'FAILED';
    reason?: string;
    account?: string;
    region?: string;
  },
): Promise<void> {
  const body = { account: MOTO_ACCOUNT, region: MOTO_CLIENT_CONFIG.region, ...ended };
  const response = await fetch(`${moto.endpoint}/moto-test/ecs/deployment-state`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`the emulator did not end the deployment: ${response.status} ${await response.text()}`);
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** How to start moto: attached to this process (stopped with it), or left running after it ends. */
export interface MotoOptions {
  /**
   * Detach moto from this process, its output going to this log file: it keeps running when this
   * process ends (the demo's --keep), and is stopped by its PID.
   */
  detachedLog?: string;
}

/**
 * Starts moto's server (pip install "moto[server]") on a free loopback port and waits until it
 * answers. Fails with a clear message when it is not installed or does not come up.
 */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const log = options.detachedLog;
  const output = log ? openSync(log, 'a') : 'pipe';
  const child = spawn(MOTO_PYTHON, ['-c', MOTO_SCRIPT, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', log ? output : 'ignore', output],
    detached: log !== undefined,
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: MOTO_CLIENT_CONFIG.region },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot start moto with ${MOTO_PYTHON} (pip install "moto[server]"): ${error.message}`)),
    );
    child.once('spawn', () => resolve(child.pid as number));
  });
  const moto: MotoServer = { endpoint, port, pid, stop: () => stopProcess(child) };
  try {
    await waitUntilUp(endpoint, child, () => (log ? readFileSync(log, 'utf8').slice(-4000) : stderr));
  } catch (error) {
    await moto.stop();
    throw error;
  }
  // A detached moto must not keep this process alive.
  if (log) child.unref();
  return moto;
}

async function waitUntilUp(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}: ${stderr().trim()}`);
    // Any HTTP answer means it listens; a refused connection means not yet.
    const answered = await fetch(`${endpoint}/moto-api/`).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr().trim()}`);
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

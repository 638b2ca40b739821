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

/** The tag on a primary secret that holds its replication to the regions it lists (see MOTO_SCRIPT). */
export const HOLD_REPLICATION_TAG = 'moto:hold-replication';

/** moto's default account. */
export const MOTO_ACCOUNT = '123456789012';

/** The Python that has moto installed: `python3` on PATH unless MOTO_PYTHON names another. */
const MOTO_PYTHON = process.env.MOTO_PYTHON ?? 'python3';

/**
 * moto_server, with the answers where moto differs from AWS in a way the product depends on
 * corrected before the server starts (each names the AWS behaviour it restores):
 * - ListSecretVersionIds: AWS answers each version's CreatedDate; moto 5.2 answers "now" for every
 *   version, though it stores the real time. First sight (a pair without a ledger record) compares
 *   that time with the deployment's creation.
 * - UpdateService: in AWS, forceNewDeployment (or a task definition other than the service's)
 *   starts a new PRIMARY deployment of the service's task definition, and the deployment it
 *   replaces stays listed as ACTIVE while its tasks drain. moto 5.2 rewrites the PRIMARY
 *   deployment's id and times in place (the old one vanishes), and starts nothing for a new task
 *   definition (its PRIMARY deployment keeps the old one). A lost answer is resolved by looking for
 *   a deployment created after the claim; status counts the tasks of older deployments.
 * - ListTasks: AWS lists the named cluster's tasks only and, given serviceName, only that service's
 *   (the tasks ECS starts for a service are in its group, "service:NAME"). moto 5.2 matches the
 *   cluster's name anywhere in a task's cluster ARN ("web" lists the tasks of "prod-web") and
 *   ignores serviceName.
 * - Replication: AWS replicates a secret to its replica regions asynchronously ("Replication is asynchronous
 *   and eventually consistent"): until the replica holds a change, the primary's
 *   ReplicationStatus says InProgress and the replica keeps its versions. moto 5.2 shares the
 *   primary's versions with every replica, so a replica is never behind. A test opens that window
 *   with the tag {@link HOLD_REPLICATION_TAG} on the primary (value: the replica regions,
 *   comma-separated): from then on those replicas keep the versions they had and report
 *   InProgress; removing the tag lets them catch up (InSync).
 * - ECS ends a service deployment by itself: DescribeServices shows its rolloutState COMPLETED once
 *   the service reached a steady state, FAILED (with rolloutStateReason) once the circuit breaker
 *   stopped it. moto runs no task, so its deployments never end. The launcher lets a test play
 *   ECS's scheduler: POST /moto-test/ecs/deployment-state {account, region, service, deploymentId,
 *   rolloutState, reason} ends that deployment, as DescribeServices then shows it (see
 *   endEcsDeployment). Nothing ends unless a test says so: the product confirms every deployment
 *   event with ECS, so a test that tells it a deployment ended first makes ECS say so, as it would.
 * - CODE_DEPLOY services: in AWS a service with the CODE_DEPLOY controller starts with one PRIMARY
 *   task set of its task definition and load balancers (ECS creates it; its `deployments` list is
 *   empty), and UpdateService with forceNewDeployment is refused ("Cannot force a new deployment
 *   on services with a CODE_DEPLOY deployment controller"). moto 5.2 creates no task set and
 *   accepts the UpdateService, changing nothing.
 * - CodeDeploy: AWS's JSON protocol gives times as epoch seconds (the SDK reads nothing else);
 *   moto 5.2 answers ISO strings (createTime, startTime, completeTime). AWS names a deployment
 *   `d-` and nine upper-case letters or digits (d-KD7CW5ZZ1); moto a UUID. AWS's BatchGetDeploymentGroups
 *   (moto 5.2 lacks it) answers up to 100 groups of an application, each with its
 *   lastAttemptedDeployment and lastSuccessfulDeployment (moto answers {}). ListDeployments keeps
 *   only deployments created within createTimeRange (moto ignores it). CreateDeployment is refused
 *   with DeploymentLimitExceededException ("The Deployment Group ... already has an active
 *   Deployment ...") while the group runs one (moto makes a second). CodeDeploy moves a deployment
 *   on by itself (Ready, Succeeded, Failed, Stopped); moto's stay Created: the launcher lets a test
 *   play CodeDeploy, POST /moto-test/codedeploy/deployment-state {account, region, deploymentId,
 *   status, errorCode, errorMessage} (see moveCodeDeployDeployment).
 * (Not corrected, because the adapters cope: ListServices leaks services of a cluster whose name
 * ends with the one asked for, and no ECS listing ever paginates; test/kit/call-counter.ts counts
 * the pages a real account would need.)
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

import copy
from moto.secretsmanager.models import ReplicaSecret
HOLD = "${HOLD_REPLICATION_TAG}"
def replica_versions(self):
    held = getattr(self, "held_versions", None)
    return self.source.versions if held is None else held
ReplicaSecret.versions = property(replica_versions)
replica_to_dict = ReplicaSecret.to_dict
def to_dict(self):
    answer = replica_to_dict(self)
    if getattr(self, "held_versions", None) is not None:
        stages = {v: version["version_stages"] for v, version in self.held_versions.items()}
        answer["VersionIdsToStages"] = stages
        answer["SecretVersionsToStages"] = stages
    return answer
ReplicaSecret.to_dict = to_dict
def hold_replication(secret):
    regions = [r for t in (secret.tags or []) if t["Key"] == HOLD for r in t["Value"].split(",")]
    for replica in getattr(secret, "replicas", []):
        held = getattr(replica, "held_versions", None) is not None
        if replica.region in regions and not held:
            replica.held_versions = copy.deepcopy(secret.versions)
            replica.config["Status"] = "InProgress"
            replica.config.pop("StatusMessage", None)
        elif replica.region not in regions and held:
            replica.held_versions = None
            replica.config["Status"] = "InSync"
            replica.config["StatusMessage"] = "Replication succeeded"
tag_resource = SecretsManagerBackend.tag_resource
untag_resource = SecretsManagerBackend.untag_resource
def tag(self, secret_id, tags):
    tag_resource(self, secret_id, tags)
    hold_replication(self.secrets[secret_id])
def untag(self, secret_id, tag_keys):
    untag_resource(self, secret_id, tag_keys)
    hold_replication(self.secrets[secret_id])
SecretsManagerBackend.tag_resource = tag
SecretsManagerBackend.untag_resource = untag

from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend
from moto.moto_api._internal import mock_random
updated = EC2ContainerServiceBackend.update_service
def update_service(self, properties):
    service = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    before = [dict(d) for d in service.deployments]
    task_definition = service.task_definition
    force = properties.get("force_new_deployment", False)
    service = updated(self, properties)
    if before and (force or service.task_definition != task_definition):
        deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
        now = utcnow()
        primary = dict(before[0], id=deployment_id, status="PRIMARY", taskDefinition=service.task_definition,
                       createdAt=now, updatedAt=now, rolloutState="IN_PROGRESS",
                       rolloutStateReason=f"ECS deployment {deployment_id} in progress.")
        service.deployments = [primary] + [dict(d, status="ACTIVE") for d in before if d["status"] != "INACTIVE"]
    return service
EC2ContainerServiceBackend.update_service = update_service

listed_tasks = EC2ContainerServiceBackend.list_tasks
def list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None, service_name=None, desiredStatus=None):
    tasks = listed_tasks(self, cluster_str, container_instance, family, started_by, service_name, desiredStatus)
    if cluster_str:
        cluster = self._get_cluster(cluster_str)
        tasks = [t for t in tasks if t.cluster_arn == cluster.arn]
    if service_name:
        tasks = [t for t in tasks if t.group == f"service:{service_name}"]
    return tasks
EC2ContainerServiceBackend.list_tasks = list_tasks

from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import TaskSet
forced = EC2ContainerServiceBackend.update_service
def refuse_code_deploy(self, properties):
    service = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    if properties.get("force_new_deployment") and service.deployment_controller.get("type") == "CODE_DEPLOY":
        raise InvalidParameterException("Cannot force a new deployment on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
    return forced(self, properties)
EC2ContainerServiceBackend.update_service = refuse_code_deploy
created_service = EC2ContainerServiceBackend.create_service
def create_service(self, *args, **kwargs):
    service = created_service(self, *args, **kwargs)
    if service.deployment_controller.get("type") == "CODE_DEPLOY" and not service.task_sets:
        task_set = TaskSet(service.name, service.cluster_name, service.task_definition, self.account_id, self.region_name,
                           network_configuration=service.network_configuration or None, load_balancers=service.load_balancers,
                           launch_type=service.launch_type)
        task_set.task_definition = service.task_definition
        task_set.service_arn = service.arn
        task_set.cluster_arn = service.cluster_arn
        task_set.status = "PRIMARY"
        service.task_sets.append(task_set)
    return service
EC2ContainerServiceBackend.create_service = create_service

from datetime import datetime
from moto.core.exceptions import JsonRESTError
from moto.codedeploy.models import Application, CodeDeployBackend, DeploymentInfo, codedeploy_backends
from moto.codedeploy.responses import CodeDeployResponse
ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
def epoch(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if isinstance(value, str) else value
deployment_dict = DeploymentInfo.to_dict
def deployment_to_dict(self):
    answer = deployment_dict(self)
    for field in ("createTime", "startTime", "completeTime"):
        if answer.get(field) is None:
            answer.pop(field, None)
        else:
            answer[field] = epoch(answer[field])
    if not answer.get("errorInformation"):
        answer.pop("errorInformation", None)
    return answer
DeploymentInfo.to_dict = deployment_to_dict
deployment_init = DeploymentInfo.__init__
def deployment_with_aws_id(self, *args, **kwargs):
    deployment_init(self, *args, **kwargs)
    self.deployment_id = "d-" + "".join(mock_random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(9))
DeploymentInfo.__init__ = deployment_with_aws_id
application_dict = Application.to_dict
def application_to_dict(self):
    answer = application_dict(self)
    answer["createTime"] = epoch(answer["createTime"])
    return answer
Application.to_dict = application_to_dict
def group_to_dict(backend, group):
    answer = group.to_dict()
    mine = sorted((d for d in backend.deployments.values() if d.application_name == group.application.application_name
                   and d.deployment_group_name == group.deployment_group_name), key=lambda d: epoch(d.create_time))
    def last(d):
        info = {"deploymentId": d.deployment_id, "status": d.status, "createTime": epoch(d.create_time)}
        if d.complete_time:
            info["endTime"] = epoch(d.complete_time)
        return info
    succeeded = [d for d in mine if d.status == "Succeeded"]
    answer["lastAttemptedDeployment"] = last(mine[-1]) if mine else {}
    answer["lastSuccessfulDeployment"] = last(succeeded[-1]) if succeeded else {}
    return answer
def get_deployment_group(self):
    group = self.codedeploy_backend.get_deployment_group(self._get_param("applicationName"), self._get_param("deploymentGroupName"))
    return json.dumps({"deploymentGroupInfo": group_to_dict(self.codedeploy_backend, group)})
CodeDeployResponse.get_deployment_group = get_deployment_group
def batch_get_deployment_groups(self):
    backend = self.codedeploy_backend
    application = self._get_param("applicationName")
    backend.get_application(application)
    names = self._get_param("deploymentGroupNames") or []
    known = backend.deployment_groups.get(application, {})
    missing = [n for n in names if n not in known]
    info = [group_to_dict(backend, known[n]) for n in names if n in known]
    return json.dumps({"deploymentGroupsInfo": info, "errorMessage": ("Deployment groups not found: " + ", ".join(missing)) if missing else ""})
CodeDeployResponse.batch_get_deployment_groups = batch_get_deployment_groups
listed_deployments = CodeDeployBackend.list_deployments
def list_deployments(self, application_name, deployment_group_name, external_id, include_only_statuses, create_time_range):
    ids = listed_deployments(self, application_name, deployment_group_name, external_id, include_only_statuses, create_time_range)
    start = (create_time_range or {}).get("start")
    end = (create_time_range or {}).get("end")
    def within(d):
        created = epoch(d.create_time)
        return (start is None or created >= start) and (end is None or created <= end)
    return [i for i in ids if within(self.deployments[i])]
CodeDeployBackend.list_deployments = list_deployments
create_deployment = CodeDeployBackend.create_deployment
def create_one_at_a_time(self, application_name, deployment_group_name, *args, **kwargs):
    for d in self.deployments.values():
        if d.application_name == application_name and d.deployment_group_name == deployment_group_name and d.status in ACTIVE:
            raise JsonRESTError("DeploymentLimitExceededException",
                                "The Deployment Group '%s' already has an active Deployment '%s'" % (deployment_group_name, d.deployment_id))
    return create_deployment(self, application_name, deployment_group_name, *args, **kwargs)
CodeDeployBackend.create_deployment = create_one_at_a_time

from moto.ecs.models import ecs_backends
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
def move_codedeploy_deployment(environ, start_response):
    def answer(status, body):
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]
    size = int(environ.get("CONTENT_LENGTH") or 0)
    asked = json.loads(environ["wsgi.input"].read(size) or b"{}")
    deployment = codedeploy_backends[asked["account"]][asked["region"]].deployments.get(asked["deploymentId"])
    if deployment is None:
        return answer("404 Not Found", {"message": "no CodeDeploy deployment %s" % asked["deploymentId"]})
    deployment.status = asked["status"]
    if asked["status"] not in ACTIVE:
        deployment.complete_time = datetime.now().astimezone().isoformat()
    if asked.get("errorCode") or asked.get("errorMessage"):
        deployment.error_information = {"code": asked.get("errorCode", ""), "message": asked.get("errorMessage", "")}
    return answer("200 OK", {"deploymentId": deployment.deployment_id, "status": deployment.status})
error_dict = DeploymentInfo.to_dict
def with_error(self):
    answer = error_dict(self)
    if getattr(self, "error_information", None):
        answer["errorInformation"] = self.error_information
    return answer
DeploymentInfo.to_dict = with_error
class WithTestControls(Dispatcher):
    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/moto-test/ecs/deployment-state" and environ.get("REQUEST_METHOD") == "POST":
            return end_deployment(environ, start_response)
        if environ.get("PATH_INFO") == "/moto-test/codedeploy/deployment-state" and environ.get("REQUEST_METHOD") == "POST":
            return move_codedeploy_deployment(environ, start_response)
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

/**
 * Plays CodeDeploy on the emulator: the deployment moves to `status` (Ready, Succeeded, Failed or
 * Stopped, with CodeDeploy's error information), as BatchGetDeployments then shows it. CodeDeploy
 * sends its "CodeDeploy Deployment State-change Notification" after this; a test that hands the
 * product that event calls this first.
 */
export async function moveCodeDeployDeployment(
  moto: Pick<MotoServer, 'endpoint'>,
  moved: { deploymentId: string; status: string; errorCode?: string; errorMessage?: string; account?: string; region?: string },
): Promise<void> {
  const body = { account: MOTO_ACCOUNT, region: MOTO_CLIENT_CONFIG.region, ...moved };
  const response = await fetch(`${moto.endpoint}/moto-test/codedeploy/deployment-state`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`the emulator did not move the deployment: ${response.status} ${await response.text()}`);
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

/**
 * What the install-form tests share: the bundles, the tools (terraform with a local provider
 * mirror, the SAM translator cfn-lint ships), and one model of "what a deployment does" that each
 * form is read into, so that the parity test compares models, not templates.
 *
 * The model keys everything by what AWS sees (function, rule, table, queue, alarm names) and
 * writes a reference to a resource whose value only AWS knows (an ARN, a queue URL, a role name)
 * as reference(logicalId, attribute), with the logical id of the behaviour template
 * (scripts/forms/behaviour.ts); the Terraform plan gets the same values from its mocks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { asArray, deployedAs, ensurePackaged, type Json, type Resource, ROOT, type Template } from './template';

export const BUNDLES = ['onSecretChange.zip', 'redeploySecret.zip', 'refreshIndex.zip'];
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

/**
 * A resource's Ref (attribute undefined) or Fn::GetAtt, written as an ARN: the Terraform provider
 * checks at plan time that what goes where an ARN goes looks like one, and a Lambda permission's
 * function like a function's (the strictest of its checks, which every other one accepts).
 */
export function reference(logicalId: string, attribute?: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:reference-${logicalId}${attribute === undefined ? '' : `-${attribute}`}`;
}

/** A private copy of the packaged bundles (another test file may package again meanwhile). */
export function copyBundles(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  ensurePackaged((packageDir) => {
    for (const file of BUNDLES) fs.copyFileSync(path.join(packageDir, file), path.join(dir, file));
  });
  return dir;
}

const made: string[] = [];

/** A temporary directory, removed by removeTempDirs() (each test file's afterAll). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ecs-secret-redeploy-${prefix}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

// --- tools ----------------------------------------------------------------------------------

/**
 * The filesystem mirror holding hashicorp/aws (`terraform providers mirror DIR` makes one):
 * TF_PLUGIN_DIR, else Terraform's implied local mirrors, else /opt/tf-plugins (these machines).
 */
function terraformPluginDir(): string {
  const candidates = [
    process.env.TF_PLUGIN_DIR,
    path.join(os.homedir(), '.terraform.d/plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
    '/opt/tf-plugins',
  ].filter((d): d is string => Boolean(d));
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'registry.terraform.io/hashicorp/aws')));
  if (!found) {
    throw new Error(
      `no hashicorp/aws provider in ${candidates.join(', ')}: set TF_PLUGIN_DIR to a filesystem mirror (terraform providers mirror DIR)`,
    );
  }
  return found;
}

/** Terraform with nothing from the network: no update check, plugins from the mirror only. */
export function terraform(
  args: string[],
  cwd: string,
  options: { allowFailure?: boolean } = {},
): { status: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  // A CLI configuration that names a missing file only adds a warning; none is needed.
  if (env.TF_CLI_CONFIG_FILE && !fs.existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  const run = spawnSync('terraform', args, { cwd, env, encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw new Error(`cannot run terraform (install Terraform >= 1.11): ${run.error.message}`);
  if (run.status !== 0 && !options.allowFailure) {
    throw new Error(`terraform ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return { status: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
}

export function terraformInit(cwd: string): void {
  terraform(['init', '-no-color', '-backend=false', `-plugin-dir=${terraformPluginDir()}`], cwd);
}

/** cfn-lint on templates (one run for all: it starts slowly); its findings, or '' when clean. */
export function cfnLint(...files: string[]): string {
  const run = spawnSync('cfn-lint', files, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (run.error) throw new Error(`cannot run cfn-lint (pip install cfn-lint): ${run.error.message}`);
  return run.status === 0 ? '' : `${run.stdout}${run.stderr}`;
}

/**
 * The SAM transform, offline, as cfn-lint runs it (samtranslator comes with cfn-lint). The
 * translator takes code in S3 only: a local CodeUri becomes the S3 location `sam package` would
 * upload it to, as cfn-lint does too.
 */
export function samTransform(template: Json, parameters: Record<string, string>): Template & { Parameters?: Json; Conditions?: Json } {
  const packaged = structuredClone(template) as { Resources: Record<string, { Type: string; Properties?: Json }> };
  for (const resource of Object.values(packaged.Resources)) {
    const codeUri = resource.Properties?.CodeUri;
    if (resource.Type === 'AWS::Serverless::Function' && typeof codeUri === 'string' && !codeUri.startsWith('s3://')) {
      (resource.Properties as Json).CodeUri = `s3://sam-package-bucket/${path.basename(codeUri)}`;
    }
  }
  const script = [
    'import json, sys',
    'from samtranslator.parser.parser import Parser',
    'from samtranslator.translator.translator import Translator',
    'data = json.load(sys.stdin)',
    'out = Translator(managed_policy_map={}, sam_parser=Parser()).translate(sam_template=data["template"], parameter_values=data["parameters"])',
    'print(json.dumps(out))',
  ].join('\n');
  const out = execFileSync(process.env.MOTO_PYTHON ?? 'python3', ['-c', script], {
    input: JSON.stringify({ template: packaged, parameters }),
    encoding: 'utf8',
    env: { ...process.env, AWS_DEFAULT_REGION: REGION, AWS_REGION: REGION },
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

// --- the model ------------------------------------------------------------------------------

export interface Model {
  functions: Record<string, Json>;
  roles: Record<string, Json>;
  rules: Record<string, Json>;
  permissions: Json[];
  tables: Record<string, Json>;
  queues: Record<string, Json>;
  queuePolicies: Json[];
  topicPolicies: Json[];
  topics: Record<string, Json>;
  alarms: Record<string, Json>;
  dashboards: Record<string, unknown>;
  logGroups: Record<string, Json>;
  busPolicies: Json[];
  /** Resources of a type no form is expected to have: any shows as a difference. */
  others: string[];
}

function emptyModel(): Model {
  return {
    functions: {},
    roles: {},
    rules: {},
    permissions: [],
    tables: {},
    queues: {},
    queuePolicies: [],
    topicPolicies: [],
    topics: {},
    alarms: {},
    dashboards: {},
    logGroups: {},
    busPolicies: [],
    others: [],
  };
}

/** Resource types whose Ref is the name they are given (CloudFormation "Return values"). */
const NAMED_BY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::Rule': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::IAM::Role': 'RoleName',
};

/** Fn::GetAtt attributes that are the name the resource is given. */
const NAME_ATTRIBUTES: Record<string, Record<string, string>> = {
  'AWS::SQS::Queue': { QueueName: 'QueueName' },
  'AWS::SNS::Topic': { TopicName: 'TopicName' },
};

const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));

/**
 * A CloudFormation template (the packaged stack, a SAM template after its transform, a CDK
 * synthesis) deployed with these parameters -> the model. `originalId` maps a logical id of the
 * template to the behaviour template's (CDK renames them).
 */
export function cfnModel(
  template: Template & { Parameters?: Json; Conditions?: Json },
  parameters: Record<string, string>,
  originalId: (logicalId: string) => string = (id) => id,
): Model {
  const declared = Object.keys(template.Parameters ?? {});
  const where = {
    region: REGION,
    account: ACCOUNT,
    parameters: Object.fromEntries(Object.entries(parameters).filter(([name]) => declared.includes(name))),
  };
  const named = deployedAs(template, where);
  const resources = deployedAs(template, where, (id, attribute) => {
    const resource = named[id];
    const property = attribute === undefined ? NAMED_BY[resource?.Type] : NAME_ATTRIBUTES[resource?.Type]?.[attribute];
    const name = property ? resource.Properties?.[property] : undefined;
    return typeof name === 'string' ? name : reference(originalId(id), attribute);
  });
  const model = emptyModel();
  for (const [id, resource] of Object.entries(resources)) addCfnResource(model, originalId(id), resource);
  return finish(model);
}

function addCfnResource(model: Model, id: string, resource: Resource): void {
  const p = (resource.Properties ?? {}) as Json;
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      model.functions[String(p.FunctionName)] = {
        ...model.functions[String(p.FunctionName)],
        handler: p.Handler,
        runtime: p.Runtime,
        architectures: p.Architectures,
        memory: num(p.MemorySize),
        timeout: num(p.Timeout),
        reservedConcurrency: num(p.ReservedConcurrentExecutions),
        description: p.Description,
        role: p.Role,
        environment: (p.Environment as Json | undefined)?.Variables,
      };
      break;
    case 'AWS::Lambda::EventInvokeConfig': {
      const config = { qualifier: p.Qualifier, maxEventAge: num(p.MaximumEventAgeInSeconds), maxRetries: num(p.MaximumRetryAttempts) };
      const onFailure = ((p.DestinationConfig as Json | undefined)?.OnFailure as Json | undefined)?.Destination;
      model.functions[String(p.FunctionName)] = {
        ...model.functions[String(p.FunctionName)],
        invokeConfig: { ...config, onFailure },
      };
      break;
    }
    case 'AWS::Logs::LogGroup':
      model.logGroups[String(p.LogGroupName)] = { retention: num(p.RetentionInDays) };
      break;
    case 'AWS::IAM::Role':
      model.roles[reference(id)] = {
        path: p.Path,
        description: p.Description,
        trust: policyDocument(p.AssumeRolePolicyDocument),
        policies: Object.fromEntries(
          asArray(p.Policies as Json[]).map((policy) => [String(policy.PolicyName), policyDocument(policy.PolicyDocument)]),
        ),
      };
      break;
    case 'AWS::Events::Rule':
      model.rules[String(p.Name)] = {
        description: p.Description,
        bus: p.EventBusName ?? 'default',
        pattern: typeof p.EventPattern === 'string' ? JSON.parse(p.EventPattern) : p.EventPattern,
        schedule: p.ScheduleExpression,
        state: p.State,
        targets: asArray(p.Targets as Json[]).map((t) => ({
          id: t.Id,
          arn: t.Arn,
          roleArn: t.RoleArn,
          retry: t.RetryPolicy
            ? {
                maxEventAge: num((t.RetryPolicy as Json).MaximumEventAgeInSeconds),
                maxRetries: num((t.RetryPolicy as Json).MaximumRetryAttempts),
              }
            : undefined,
          deadLetter: (t.DeadLetterConfig as Json | undefined)?.Arn,
        })),
      };
      break;
    case 'AWS::Lambda::Permission':
      model.permissions.push({ action: p.Action, function: p.FunctionName, principal: p.Principal, sourceArn: p.SourceArn });
      break;
    case 'AWS::DynamoDB::Table': {
      const keys = asArray(p.KeySchema as Json[]);
      model.tables[String(p.TableName)] = {
        billing: p.BillingMode,
        hashKey: keys.find((k) => k.KeyType === 'HASH')?.AttributeName,
        rangeKey: keys.find((k) => k.KeyType === 'RANGE')?.AttributeName,
        attributes: asArray(p.AttributeDefinitions as Json[]).map((a) => `${a.AttributeName}:${a.AttributeType}`),
        ttl: p.TimeToLiveSpecification
          ? { attribute: (p.TimeToLiveSpecification as Json).AttributeName, enabled: bool((p.TimeToLiveSpecification as Json).Enabled) }
          : undefined,
        pointInTimeRecovery: bool((p.PointInTimeRecoverySpecification as Json | undefined)?.PointInTimeRecoveryEnabled),
        encryption: p.SSESpecification
          ? { enabled: bool((p.SSESpecification as Json).SSEEnabled), key: (p.SSESpecification as Json).KMSMasterKeyId }
          : undefined,
        deletionProtection: bool(p.DeletionProtectionEnabled),
      };
      break;
    }
    case 'AWS::SQS::Queue':
      model.queues[String(p.QueueName)] = { retention: num(p.MessageRetentionPeriod), managedEncryption: bool(p.SqsManagedSseEnabled) };
      break;
    case 'AWS::SQS::QueuePolicy':
      for (const queue of asArray(p.Queues as unknown[])) model.queuePolicies.push({ queue, policy: policyDocument(p.PolicyDocument) });
      break;
    case 'AWS::SNS::Topic':
      model.topics[String(p.TopicName)] = { displayName: p.DisplayName };
      break;
    case 'AWS::SNS::TopicPolicy':
      for (const topic of asArray(p.Topics as unknown[])) model.topicPolicies.push({ topic, policy: policyDocument(p.PolicyDocument) });
      break;
    case 'AWS::CloudWatch::Alarm':
      model.alarms[String(p.AlarmName)] = {
        description: p.AlarmDescription,
        namespace: p.Namespace,
        metric: p.MetricName,
        dimensions: Object.fromEntries(asArray(p.Dimensions as Json[]).map((d) => [String(d.Name), d.Value])),
        statistic: p.Statistic,
        period: num(p.Period),
        evaluationPeriods: num(p.EvaluationPeriods),
        threshold: num(p.Threshold),
        comparison: p.ComparisonOperator,
        missingData: p.TreatMissingData,
        alarmActions: p.AlarmActions,
        okActions: p.OKActions,
      };
      break;
    case 'AWS::CloudWatch::Dashboard':
      model.dashboards[String(p.DashboardName)] = JSON.parse(String(p.DashboardBody));
      break;
    case 'AWS::Events::EventBusPolicy':
      model.busPolicies.push({ bus: p.EventBusName ?? 'default', statement: statement({ Sid: p.StatementId, ...(p.Statement as Json) }) });
      break;
    case 'AWS::CDK::Metadata':
      break;
    default:
      model.others.push(`${id} (${resource.Type})`);
  }
}

/** A KMS key the module's configuration gave (an ARN), not one the mocked provider made up. */
function configuredKey(value: unknown): unknown {
  return typeof value === 'string' && value.startsWith('arn:') ? value : undefined;
}

/** A planned resource of `terraform show -json` / `terraform test -verbose`. */
export interface PlannedResource {
  address: string;
  type: string;
  values: Json;
}

/** A Terraform plan -> the model; `logicalIdOf` maps an address to the behaviour template's logical id. */
export function terraformModel(planned: PlannedResource[], logicalIdOf: (address: string) => string): Model {
  const model = emptyModel();
  const first = (v: unknown) => (Array.isArray(v) ? (v[0] as Json | undefined) : undefined);
  for (const { address, type, values: v } of planned) {
    switch (type) {
      case 'aws_lambda_function': {
        const reserved = num(v.reserved_concurrent_executions);
        model.functions[String(v.function_name)] = {
          ...model.functions[String(v.function_name)],
          handler: v.handler,
          runtime: v.runtime,
          architectures: v.architectures,
          memory: num(v.memory_size),
          timeout: num(v.timeout),
          // The provider plans -1 for "not reserved".
          reservedConcurrency: reserved === -1 ? undefined : reserved,
          description: v.description,
          role: v.role,
          environment: first(v.environment)?.variables,
        };
        break;
      }
      case 'aws_lambda_function_event_invoke_config':
        model.functions[String(v.function_name)] = {
          ...model.functions[String(v.function_name)],
          invokeConfig: {
            qualifier: v.qualifier,
            maxEventAge: num(v.maximum_event_age_in_seconds),
            maxRetries: num(v.maximum_retry_attempts),
            onFailure: first(first(v.destination_config)?.on_failure)?.destination,
          },
        };
        break;
      case 'aws_cloudwatch_log_group':
        model.logGroups[String(v.name)] = { retention: num(v.retention_in_days) };
        break;
      case 'aws_iam_role': {
        const key = reference(logicalIdOf(address));
        model.roles[key] = {
          policies: {},
          ...model.roles[key],
          path: v.path,
          description: v.description,
          trust: policyDocument(JSON.parse(String(v.assume_role_policy))),
        };
        break;
      }
      case 'aws_iam_role_policy': {
        const key = reference(logicalIdOf(address));
        const role = model.roles[key] ?? { policies: {} };
        model.roles[key] = {
          ...role,
          policies: { ...(role.policies as Json), [String(v.name)]: policyDocument(JSON.parse(String(v.policy))) },
        };
        break;
      }
      case 'aws_cloudwatch_event_rule': {
        const name = String(v.name);
        model.rules[name] = {
          targets: [],
          ...model.rules[name],
          description: v.description,
          bus: v.event_bus_name ?? 'default',
          pattern: v.event_pattern ? JSON.parse(String(v.event_pattern)) : undefined,
          schedule: v.schedule_expression || undefined,
          state: v.state,
        };
        break;
      }
      case 'aws_cloudwatch_event_target': {
        const name = String(v.rule);
        const rule = model.rules[name] ?? { targets: [] };
        const retry = first(v.retry_policy);
        const target = {
          id: v.target_id,
          arn: v.arn,
          roleArn: v.role_arn ?? undefined,
          retry: retry
            ? { maxEventAge: num(retry.maximum_event_age_in_seconds), maxRetries: num(retry.maximum_retry_attempts) }
            : undefined,
          deadLetter: first(v.dead_letter_config)?.arn,
        };
        model.rules[name] = { ...rule, targets: [...(rule.targets as Json[]), target] };
        break;
      }
      case 'aws_lambda_permission':
        model.permissions.push({ action: v.action, function: v.function_name, principal: v.principal, sourceArn: v.source_arn });
        break;
      case 'aws_dynamodb_table': {
        const ttl = first(v.ttl);
        const sse = first(v.server_side_encryption);
        model.tables[String(v.name)] = {
          billing: v.billing_mode,
          hashKey: v.hash_key,
          rangeKey: v.range_key ?? undefined,
          attributes: ((v.attribute as Json[] | undefined) ?? []).map((a) => `${a.name}:${a.type}`),
          ttl: ttl ? { attribute: ttl.attribute_name, enabled: bool(ttl.enabled) } : undefined,
          pointInTimeRecovery: bool(first(v.point_in_time_recovery)?.enabled),
          // The mocked provider fills an optional computed attribute the configuration left unset
          // (the AWS-managed key) with a made-up string: only a key the configuration names is one.
          encryption: sse ? { enabled: bool(sse.enabled), key: configuredKey(sse.kms_key_arn) } : undefined,
          deletionProtection: bool(v.deletion_protection_enabled),
        };
        break;
      }
      case 'aws_sqs_queue':
        model.queues[String(v.name)] = { retention: num(v.message_retention_seconds), managedEncryption: bool(v.sqs_managed_sse_enabled) };
        break;
      case 'aws_sqs_queue_policy':
        model.queuePolicies.push({ queue: v.queue_url, policy: policyDocument(JSON.parse(String(v.policy))) });
        break;
      case 'aws_sns_topic_policy':
        model.topicPolicies.push({ topic: v.arn, policy: policyDocument(JSON.parse(String(v.policy))) });
        break;
      case 'aws_sns_topic':
        model.topics[String(v.name)] = { displayName: v.display_name ?? undefined };
        break;
      case 'aws_cloudwatch_metric_alarm':
        model.alarms[String(v.alarm_name)] = {
          description: v.alarm_description,
          namespace: v.namespace,
          metric: v.metric_name,
          dimensions: v.dimensions,
          statistic: v.statistic,
          period: num(v.period),
          evaluationPeriods: num(v.evaluation_periods),
          threshold: num(v.threshold),
          comparison: v.comparison_operator,
          missingData: v.treat_missing_data,
          alarmActions: v.alarm_actions,
          okActions: v.ok_actions,
        };
        break;
      case 'aws_cloudwatch_dashboard':
        model.dashboards[String(v.dashboard_name)] = JSON.parse(String(v.dashboard_body));
        break;
      case 'aws_cloudwatch_event_bus_policy': {
        const document = JSON.parse(String(v.policy)) as Json;
        for (const s of asArray(document.Statement as Json[])) model.busPolicies.push({ bus: v.event_bus_name, statement: statement(s) });
        break;
      }
      default:
        model.others.push(`${address} (${type})`);
    }
  }
  return finish(model);
}

/** Order that carries no meaning removed: lists of statements, targets, permissions, actions. */
function finish(model: Model): Model {
  for (const rule of Object.values(model.rules)) rule.targets = sortByJson(rule.targets as Json[]);
  model.permissions = sortByJson(model.permissions);
  model.queuePolicies = sortByJson(model.queuePolicies);
  model.topicPolicies = sortByJson(model.topicPolicies);
  model.busPolicies = sortByJson(model.busPolicies);
  model.others.sort();
  // A property left unset: absent in CloudFormation, null in a Terraform plan.
  return JSON.parse(JSON.stringify(model, (_, value) => (value === null ? undefined : value)));
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  return v === true || v === 'true';
}

function policyDocument(doc: unknown): Json {
  const d = (doc ?? {}) as Json;
  return { Version: d.Version, Statement: sortByJson(asArray(d.Statement as Json[]).map(statement)) };
}

/** A statement with its one-or-many fields as sorted lists (IAM reads "a" and ["a"] alike). */
function statement(s: Json): Json {
  const list = (v: unknown) => (v === undefined ? undefined : [...asArray(v as unknown[])].map(String).sort());
  const principal = (p: unknown) =>
    typeof p === 'string' || p === undefined ? p : Object.fromEntries(Object.entries(p as Json).map(([k, v]) => [k, list(v)]));
  const condition = (c: unknown) =>
    c === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(c as Json).map(([operator, keys]) => [
            operator,
            Object.fromEntries(Object.entries(keys as Json).map(([k, v]) => [k, list(v)])),
          ]),
        );
  return {
    Sid: s.Sid,
    Effect: s.Effect,
    Principal: principal(s.Principal),
    Action: list(s.Action),
    NotAction: list(s.NotAction),
    Resource: list(s.Resource),
    NotResource: list(s.NotResource),
    Condition: condition(s.Condition),
  };
}

function sortByJson<T>(items: T[]): T[] {
  return [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

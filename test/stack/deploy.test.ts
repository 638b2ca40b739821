/**
 * Deploys the packaged stack to moto_server's CloudFormation the way `osls deploy` does
 * (node_modules/osls/lib/plugins/aws/deploy and lib/update-stack.js, default change-set method):
 *   1. change set CREATE with the create template (the deployment bucket only), execute it;
 *   2. find the bucket with DescribeStackResource, upload the compiled update template and the
 *      function zips under the artifact directory the update template points at;
 *   3. change set UPDATE from the template's S3 URL, execute it;
 * then checks that what the stack is made of exists in the emulated account.
 *
 * moto 5.2.1 gaps, found in its source, and what this test does about each:
 * - Resource types without a CloudFormation model are skipped with a warning and listed as blank
 *   stack resources (moto/cloudformation/parsing.py `resource_class_from_type`). Here:
 *   AWS::CloudWatch::Alarm and AWS::Lambda::EventInvokeConfig: the test applies the template's
 *     properties through the API, references resolved against this deployment (so the alarms
 *     and invoke configurations are checked to name the deployed functions, queue and topic, and
 *     the metrics dimension the deployed functions emit under);
 *   AWS::SQS::QueuePolicy, AWS::S3::BucketPolicy: not asserted here (template.test.ts checks the
 *     queue policy; cfn-lint checks both).
 *   (AWS::CloudWatch::Dashboard does have a model: the stack creates it, resolving its Fn::Sub, and
 *   the test reads it back with GetDashboard.)
 * - AWS::Lambda::Function ignores Architectures (moto/awslambda/models.py
 *   create_from_cloudformation_json): arm64 is asserted on the template only.
 * - AWS::DynamoDB::Table ignores TimeToLiveSpecification and PointInTimeRecoverySpecification
 *   (moto/dynamodb/models/table.py): asserted on the template only.
 * - Executing a change set does not recompute the stack's Outputs (ChangeSet.apply updates the
 *   resources only): outputs are not asserted; the framework itself finds its bucket with
 *   DescribeStackResource, as done here.
 * - Inline role policies created through CloudFormation come back from GetRolePolicy as Python's
 *   repr of the document: see parsePolicyDocument.
 */

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
// client-iam and client-lambda come with osls (its dependencies), at the versions in package-lock.json.
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionEventInvokeConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { GetBucketLocationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MOTO_CLIENT_CONFIG, type MotoServer, startMoto } from '../kit/moto';
import { ensurePackaged, type Json, type Packaged, REGION, ROOT, resourcesOfType, STACK_NAME, STAGE } from './template';

jest.setTimeout(120_000);

const execFileAsync = promisify(execFile);

let moto: MotoServer;
let packaged: Packaged;
let clients: ReturnType<typeof makeClients>;
let resources: StackResourceSummary[];
let physicalId: (logicalId: string) => string;

function makeClients(endpoint: string) {
  const config = { ...MOTO_CLIENT_CONFIG, endpoint };
  return {
    cfn: new CloudFormationClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    lambda: new LambdaClient(config),
    events: new EventBridgeClient(config),
    dynamo: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    iam: new IAMClient(config),
  };
}

beforeAll(async () => {
  packaged = ensurePackaged();
  moto = await startMoto();
  clients = makeClients(moto.endpoint);
  await deployLikeTheFramework();
  resources = await listStackResources();
  physicalId = (logicalId) => {
    const found = resources.find((r) => r.LogicalResourceId === logicalId);
    if (!found?.PhysicalResourceId) throw new Error(`${logicalId} is not a resource of the deployed stack`);
    return found.PhysicalResourceId;
  };
}, 180_000);

afterAll(async () => {
  if (clients) for (const client of Object.values(clients)) client.destroy();
  await moto?.stop();
});

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] as const;
const CHANGE_SET = `${STACK_NAME}-change-set`;

async function deployLikeTheFramework(): Promise<void> {
  const { cfn, s3 } = clients;
  const shared = { StackName: STACK_NAME, Capabilities: [...CAPABILITIES], Parameters: [], Tags: [{ Key: 'STAGE', Value: STAGE }] };

  // 1. create the stack with the deployment bucket.
  await cfn.send(
    new CreateChangeSetCommand({
      ...shared,
      ChangeSetName: CHANGE_SET,
      ChangeSetType: 'CREATE',
      TemplateBody: JSON.stringify(packaged.createTemplate),
    }),
  );
  await waitForChangeSet();
  await cfn.send(new ExecuteChangeSetCommand({ StackName: STACK_NAME, ChangeSetName: CHANGE_SET }));
  await waitForStack('CREATE_COMPLETE');

  // 2. upload the artifacts (the framework finds its bucket with DescribeStackResource).
  const bucket = await deploymentBucket();
  const dir = packaged.artifactDirectoryName;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${dir}/compiled-cloudformation-template.json`,
      Body: JSON.stringify(packaged.updateTemplate),
    }),
  );
  for (const [, fn] of resourcesOfType(packaged.updateTemplate, 'AWS::Lambda::Function')) {
    const key = (fn.Properties!.Code as { S3Key: string }).S3Key;
    expect(key.startsWith(`${dir}/`)).toBe(true);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(path.join(packaged.dir, path.basename(key))) }));
  }

  // 3. update the stack from the uploaded template.
  await cfn.send(new DeleteChangeSetCommand({ StackName: STACK_NAME, ChangeSetName: CHANGE_SET })).catch(() => undefined);
  await cfn.send(
    new CreateChangeSetCommand({
      ...shared,
      ChangeSetName: CHANGE_SET,
      ChangeSetType: 'UPDATE',
      TemplateURL: `https://s3.${REGION}.amazonaws.com/${bucket}/${dir}/compiled-cloudformation-template.json`,
    }),
  );
  await waitForChangeSet();
  await cfn.send(new ExecuteChangeSetCommand({ StackName: STACK_NAME, ChangeSetName: CHANGE_SET }));
  await waitForStack('UPDATE_COMPLETE');
}

async function waitForChangeSet(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const cs = await clients.cfn.send(new DescribeChangeSetCommand({ StackName: STACK_NAME, ChangeSetName: CHANGE_SET }));
    if (cs.Status === 'CREATE_COMPLETE') return;
    if (cs.Status === 'FAILED') throw new Error(`change set failed: ${cs.StatusReason}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('change set not created in time');
}

async function waitForStack(status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const stack = (await clients.cfn.send(new DescribeStacksCommand({ StackName: STACK_NAME }))).Stacks?.[0];
    if (stack?.StackStatus === status) return;
    if (stack?.StackStatus && /FAILED|ROLLBACK/.test(stack.StackStatus))
      throw new Error(`stack ${stack.StackStatus}: ${stack.StackStatusReason}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stack did not reach ${status} in time`);
}

async function deploymentBucket(): Promise<string> {
  const { StackResourceDetail: detail } = await clients.cfn.send(
    new DescribeStackResourceCommand({ StackName: STACK_NAME, LogicalResourceId: 'ServerlessDeploymentBucket' }),
  );
  if (!detail?.PhysicalResourceId) throw new Error('no deployment bucket in the stack');
  return detail.PhysicalResourceId;
}

async function listStackResources(): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await clients.cfn.send(new ListStackResourcesCommand({ StackName: STACK_NAME, NextToken }));
    all.push(...(page.StackResourceSummaries ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

const FUNCTIONS = [
  { id: 'OnSecretChangeLambdaFunction', name: 'ecs-secret-redeploy-ci-on-secret-change', role: 'OnSecretChangeRole' },
  { id: 'RedeploySecretLambdaFunction', name: 'ecs-secret-redeploy-ci-redeploy-secret', role: 'RedeploySecretRole' },
  { id: 'RefreshIndexLambdaFunction', name: 'ecs-secret-redeploy-ci-refresh-index', role: 'RefreshIndexRole' },
];

it('deploys: the stack is UPDATE_COMPLETE with the artifacts from the deployment bucket', async () => {
  const stack = (await clients.cfn.send(new DescribeStacksCommand({ StackName: STACK_NAME }))).Stacks?.[0];
  expect(stack?.StackStatus).toBe('UPDATE_COMPLETE');
  expect(stack?.Tags).toEqual([{ Key: 'STAGE', Value: 'ci' }]);
  const bucket = await deploymentBucket();
  await expect(clients.s3.send(new GetBucketLocationCommand({ Bucket: bucket }))).resolves.toBeDefined();
});

it('creates the three functions with their runtime, handler, role, environment and code', async () => {
  const tableName = physicalId('StateTable');
  for (const fn of FUNCTIONS) {
    expect(physicalId(fn.id)).toBe(fn.name);
    const { Configuration: config, Code: code } = await clients.lambda.send(new GetFunctionCommand({ FunctionName: fn.name }));
    expect(config?.Runtime).toBe('nodejs22.x');
    expect(config?.Handler).toMatch(/^functions\/handlers\/[a-z-]+\.handler$/);
    // (moto gap: its CloudFormation Lambda model ignores Architectures and reports x86_64;
    // arm64 is asserted on the template in template.test.ts.)
    const roleArn = (await clients.iam.send(new GetRoleCommand({ RoleName: physicalId(fn.role) }))).Role?.Arn;
    expect(config?.Role).toBe(roleArn);
    expect(config?.Environment?.Variables).toMatchObject({
      STATE_TABLE: tableName,
      EVENT_BUS_NAME: 'default',
      DRY_RUN: 'false',
      MAX_CONCURRENCY: '5',
      CLUSTERS: '',
      POWERTOOLS_SERVICE_NAME: 'ecs-secret-redeploy-ci',
      POWERTOOLS_METRICS_NAMESPACE: 'ecs-secret-redeploy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    // The zip uploaded to the deployment bucket is the code Lambda holds.
    const zipName = fn.id.replace('LambdaFunction', '');
    const zipSize = fs.statSync(path.join(packaged.dir, `${zipName.charAt(0).toLowerCase()}${zipName.slice(1)}.zip`)).size;
    expect(config?.CodeSize).toBe(zipSize);
    expect(code?.Location).toBeDefined();
  }
});

it('gives on-secret-change, the reconciler, its reserved concurrency of one', async () => {
  const concurrency = await clients.lambda.send(
    new GetFunctionConcurrencyCommand({ FunctionName: 'ecs-secret-redeploy-ci-on-secret-change' }),
  );
  expect(concurrency.ReservedConcurrentExecutions).toBe(1);
});

it('creates each role with its own inline policy, no GetSecretValue, and the never-values Deny', async () => {
  for (const fn of FUNCTIONS) {
    const roleName = physicalId(fn.role);
    const policyName = packagedRolePolicyName(fn.role);
    const policy = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    const document = parsePolicyDocument(policy.PolicyDocument ?? '');
    const actions = document.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).map((a) =>
      String(a).toLowerCase(),
    );
    expect(actions).toContain('secretsmanager:describesecret');
    expect(actions).not.toContain('secretsmanager:getsecretvalue');
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    // CloudFormation resolved the references to this deployment's table, queue and log group.
    const granted = document.Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(granted).toContain(`arn:aws:dynamodb:${REGION}:123456789012:table/${physicalId('StateTable')}`);
    expect(granted).toContain(await queueArnOf(physicalId('DeadLetterQueue')));
    expect(granted).toContain(`arn:aws:logs:${REGION}:123456789012:log-group:/aws/lambda/${fn.name}:*`);
    // Beside it, the explicit Deny of every value read, its exceptions resolved to this region.
    const never = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'never-values' }));
    expect(parsePolicyDocument(never.PolicyDocument ?? '').Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue', 'ssm:GetParameter*'],
        Resource: '*',
      }),
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'kms:Decrypt',
        Condition: { StringNotEquals: { 'kms:ViaService': [`dynamodb.${REGION}.amazonaws.com`, `lambda.${REGION}.amazonaws.com`] } },
      }),
    ]);
  }
});

const RULE_PATTERNS: Record<string, { pattern?: string; schedule?: string; target: string }> = {
  'ecs-secret-redeploy-ci-secret-api-call': { pattern: 'secretsmanager-api-call.json', target: 'ecs-secret-redeploy-ci-on-secret-change' },
  'ecs-secret-redeploy-ci-rotation-events': {
    pattern: 'secretsmanager-service-events.json',
    target: 'ecs-secret-redeploy-ci-on-secret-change',
  },
  'ecs-secret-redeploy-ci-deployment-progress': {
    pattern: 'ecs-deployment-progress.json',
    target: 'ecs-secret-redeploy-ci-on-secret-change',
  },
  'ecs-secret-redeploy-ci-codedeploy-deployment': {
    pattern: 'codedeploy-deployment-state-change.json',
    target: 'ecs-secret-redeploy-ci-on-secret-change',
  },
  'ecs-secret-redeploy-ci-secret-label-updated': {
    pattern: 'secretsmanager-label-updated.json',
    target: 'ecs-secret-redeploy-ci-on-secret-change',
  },
  'ecs-secret-redeploy-ci-parameter-change': { pattern: 'ssm-parameter-change.json', target: 'ecs-secret-redeploy-ci-on-secret-change' },
  'ecs-secret-redeploy-ci-ecs-deployment': { pattern: 'ecs-deployment-state-change.json', target: 'ecs-secret-redeploy-ci-refresh-index' },
  'ecs-secret-redeploy-ci-index-rebuild': { schedule: 'rate(6 hours)', target: 'ecs-secret-redeploy-ci-refresh-index' },
  'ecs-secret-redeploy-ci-reconcile': { schedule: 'rate(30 minutes)', target: 'ecs-secret-redeploy-ci-on-secret-change' },
};

it('creates the rules on the default bus with the patterns from infra/ and their function as target', async () => {
  const listed = (await clients.events.send(new ListRulesCommand({ NamePrefix: 'ecs-secret-redeploy-ci-' }))).Rules ?? [];
  expect(listed.map((r) => r.Name).sort()).toEqual(Object.keys(RULE_PATTERNS).sort());
  const queueArn = await queueArnOf(physicalId('DeadLetterQueue'));
  for (const [name, expected] of Object.entries(RULE_PATTERNS)) {
    const rule = await clients.events.send(new DescribeRuleCommand({ Name: name }));
    expect(rule.State).toBe('ENABLED');
    expect(rule.EventBusName).toBe('default');
    if (expected.pattern) {
      const onDisk = JSON.parse(fs.readFileSync(path.join(ROOT, 'infra/event-patterns', expected.pattern), 'utf8'));
      expect(JSON.parse(rule.EventPattern ?? 'null')).toEqual(onDisk);
    } else {
      expect(rule.ScheduleExpression).toBe(expected.schedule);
    }
    const targets = (await clients.events.send(new ListTargetsByRuleCommand({ Rule: name }))).Targets ?? [];
    expect(targets).toHaveLength(1);
    expect(targets[0].Arn).toBe(`arn:aws:lambda:${REGION}:123456789012:function:${expected.target}`);
    expect(targets[0].DeadLetterConfig?.Arn).toBe(queueArn);
    expect(targets[0].RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
  }
});

it('creates the state table: pk/sk, on demand, no index', async () => {
  const table = (await clients.dynamo.send(new DescribeTableCommand({ TableName: physicalId('StateTable') }))).Table;
  expect(table?.TableName).toBe('ecs-secret-redeploy-ci');
  expect(table?.KeySchema).toEqual([
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  expect(table?.GlobalSecondaryIndexes ?? []).toEqual([]);
  // moto gap: its CloudFormation DynamoDB model (moto/dynamodb/models/table.py
  // create_from_cloudformation_json) ignores TimeToLiveSpecification and
  // PointInTimeRecoverySpecification, so TTL and PITR are checked on the template
  // (template.test.ts) and by cfn-lint, not here.
});

it('creates the dead-letter queue', async () => {
  const url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-secret-redeploy-ci-dlq' }))).QueueUrl;
  expect(physicalId('DeadLetterQueue')).toMatch(/\/123456789012\/ecs-secret-redeploy-ci-dlq$/);
  const attributes = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes;
  expect(attributes?.MessageRetentionPeriod).toBe('1209600');
});

it('alarms: one per function on Errors, one on the dead-letter queue depth, four on our metrics, watching what was deployed', async () => {
  const template = packaged.updateTemplate;
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
  expect(alarms).toHaveLength(8);
  const alarmNames = alarms.map(([, a]) => String(a.Properties?.AlarmName));
  const existing = ((await cloudwatch('DescribeAlarms', { AlarmNames: alarmNames })).MetricAlarms as Json[]) ?? [];
  if (existing.length === 0) {
    // moto gap: AWS::CloudWatch::Alarm has no CloudFormation model in moto (the stack lists it as a
    // blank resource and creates nothing). Create each alarm from its template properties, with
    // its references resolved against this deployment: that checks they name resources that exist.
    for (const [, alarm] of alarms) await cloudwatch('PutMetricAlarm', resolve(alarm.Properties ?? {}) as Json);
  }
  const created = (await cloudwatch('DescribeAlarms', { AlarmNames: alarmNames })).MetricAlarms as Json[];
  expect(created.map((a) => a.AlarmName).sort()).toEqual([...alarmNames].sort());
  const topicArn = physicalId('AlarmTopic');
  const env = (await clients.lambda.send(new GetFunctionCommand({ FunctionName: FUNCTIONS[0].name }))).Configuration?.Environment
    ?.Variables;
  for (const alarm of created) {
    expect(alarm.AlarmActions).toEqual([topicArn]);
    expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(alarm.Threshold).toBe(0);
    const [dimension] = alarm.Dimensions as Array<{ Name: string; Value: string }>;
    if (alarm.Namespace === 'AWS/Lambda') {
      expect(alarm.MetricName).toBe('Errors');
      expect(dimension.Name).toBe('FunctionName');
      await expect(clients.lambda.send(new GetFunctionCommand({ FunctionName: dimension.Value }))).resolves.toBeDefined();
    } else if (alarm.Namespace === env?.POWERTOOLS_METRICS_NAMESPACE) {
      // Our metrics: the dimension Powertools gives them is the functions' POWERTOOLS_SERVICE_NAME.
      expect(['RedeployFailed', 'RolloutHalted', 'DriftFound', 'RestartDeadlinesMissed']).toContain(alarm.MetricName);
      expect(dimension).toEqual({ Name: 'service', Value: env?.POWERTOOLS_SERVICE_NAME });
    } else {
      expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
      expect(dimension).toEqual({ Name: 'QueueName', Value: 'ecs-secret-redeploy-ci-dlq' });
      await expect(clients.sqs.send(new GetQueueUrlCommand({ QueueName: dimension.Value }))).resolves.toBeDefined();
    }
  }
  const watchedFunctions = created
    .filter((a) => a.Namespace === 'AWS/Lambda')
    .map((a) => (a.Dimensions as Array<{ Value: string }>)[0].Value);
  expect(watchedFunctions.sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
});

it('creates the dashboard, its Fn::Sub resolved to this region, the deployed functions and the queue', async () => {
  // (moto has a CloudFormation model for AWS::CloudWatch::Dashboard: the stack itself created it.)
  expect(physicalId('Dashboard')).toBe('ecs-secret-redeploy-ci');
  const { DashboardBody: raw } = (await cloudwatch('GetDashboard', { DashboardName: 'ecs-secret-redeploy-ci' })) as {
    DashboardBody: string;
  };
  expect(raw).not.toContain('${');
  const body = JSON.parse(raw) as { widgets: Array<{ type: string; properties: Json }> };
  const metrics = body.widgets
    .filter((w) => w.type === 'metric')
    .flatMap((w) => {
      expect(w.properties.region).toBe(REGION);
      return (w.properties.metrics as unknown[][]).map((m) => m.filter((part) => typeof part === 'string') as string[]);
    });
  const dimensionValues = (namespace: string) => [...new Set(metrics.filter((m) => m[0] === namespace).map((m) => m[3]))].sort();
  expect(dimensionValues('AWS/Lambda')).toEqual(FUNCTIONS.map((f) => f.name).sort());
  for (const name of dimensionValues('AWS/Lambda')) {
    await expect(clients.lambda.send(new GetFunctionCommand({ FunctionName: name }))).resolves.toBeDefined();
  }
  expect(dimensionValues('AWS/SQS')).toEqual(['ecs-secret-redeploy-ci-dlq']);
  await expect(clients.sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-secret-redeploy-ci-dlq' }))).resolves.toBeDefined();
  // The service's own metrics, under the dimension Powertools gives them (POWERTOOLS_SERVICE_NAME).
  const { Configuration: config } = await clients.lambda.send(new GetFunctionCommand({ FunctionName: FUNCTIONS[0].name }));
  expect(dimensionValues(config?.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE ?? '')).toEqual([
    config?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
  ]);
});

/** Resolves the Ref and Fn::GetAtt forms the alarms and invoke configurations use against the deployed stack. */
function resolve(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(resolve);
  if (!node || typeof node !== 'object') return node;
  const object = node as Json;
  if (typeof object.Ref === 'string') return physicalId(object.Ref);
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt)) {
    const [id, attribute] = getAtt as [string, string];
    if (id === 'DeadLetterQueue' && attribute === 'QueueName') return physicalId(id).split('/').pop();
    if (id === 'DeadLetterQueue' && attribute === 'Arn') return `arn:aws:sqs:${REGION}:123456789012:${physicalId(id).split('/').pop()}`;
    throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute}`);
  }
  if (Object.keys(object).some((k) => k.startsWith('Fn::'))) throw new Error(`cannot resolve ${JSON.stringify(object)}`);
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(v)]));
}

/** CloudWatch through its JSON protocol (no CloudWatch client among the dependencies); moto reads the service from the credential scope. */
async function cloudwatch(action: string, body: Json): Promise<Json> {
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `GraniteServiceVersion20100801.${action}`,
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${REGION}/monitoring/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`CloudWatch ${action}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Json) : {};
}

it('lets each rule invoke its function', async () => {
  for (const fn of FUNCTIONS) {
    const rules = Object.entries(RULE_PATTERNS)
      .filter(([, r]) => r.target === fn.name)
      .map(([name]) => name);
    if (rules.length === 0) {
      await expect(clients.lambda.send(new GetPolicyCommand({ FunctionName: fn.name }))).rejects.toThrow();
      continue;
    }
    const policy = JSON.parse((await clients.lambda.send(new GetPolicyCommand({ FunctionName: fn.name }))).Policy ?? '{}') as {
      Statement: Json[];
    };
    const allowed = policy.Statement.map((statement) => {
      expect(statement).toMatchObject({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Principal: { Service: 'events.amazonaws.com' } });
      return ((statement.Condition as Json).ArnLike as Json)['AWS:SourceArn'];
    });
    expect(allowed.sort()).toEqual(rules.map((rule) => `arn:aws:events:${REGION}:123456789012:rule/${rule}`).sort());
  }
});

it('sends what fails after the async retries to the dead-letter queue', async () => {
  const queueArn = await queueArnOf(physicalId('DeadLetterQueue'));
  for (const [, config] of resourcesOfType(packaged.updateTemplate, 'AWS::Lambda::EventInvokeConfig')) {
    const props = config.Properties ?? {};
    const functionName = resolve(props.FunctionName) as string;
    let deployed = await clients.lambda
      .send(new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName }))
      .catch(() => undefined);
    if (!deployed) {
      // moto gap: AWS::Lambda::EventInvokeConfig has no CloudFormation model in moto. Apply the
      // template's configuration through the API, resolved against this deployment.
      const destination = resolve((props.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure.Destination) as string;
      await clients.lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: functionName,
          Qualifier: props.Qualifier as string,
          MaximumRetryAttempts: props.MaximumRetryAttempts as number,
          MaximumEventAgeInSeconds: props.MaximumEventAgeInSeconds as number,
          DestinationConfig: { OnFailure: { Destination: destination } },
        }),
      );
      deployed = await clients.lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName }));
    }
    expect(FUNCTIONS.map((f) => f.name)).toContain(functionName);
    expect(deployed.DestinationConfig?.OnFailure?.Destination).toBe(queueArn);
    expect(deployed.MaximumRetryAttempts).toBe(props.MaximumRetryAttempts);
    expect(deployed.MaximumEventAgeInSeconds).toBe(props.MaximumEventAgeInSeconds);
  }
  expect(resourcesOfType(packaged.updateTemplate, 'AWS::Lambda::EventInvokeConfig')).toHaveLength(FUNCTIONS.length);
});

describe('the bundled handlers, run with the deployed configuration against the emulated account', () => {
  // What Lambda would run: the zip's bundle, in a plain node process, with the function's
  // environment as CloudFormation deployed it, and the emulator as endpoint.
  async function invokeBundle(
    fn: (typeof FUNCTIONS)[number],
    payload: unknown,
  ): Promise<{ result?: Json; errorType?: string; errorMessage?: string }> {
    const { Configuration: config } = await clients.lambda.send(new GetFunctionCommand({ FunctionName: fn.name }));
    const handlerPath = config!.Handler!.replace(/\.handler$/, '.js');
    const code = packaged.updateTemplate.Resources[fn.id].Properties?.Code as { S3Key: string };
    const zipFile = path.join(packaged.dir, path.basename(code.S3Key));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    try {
      for (const [name, content] of unzip(zipFile)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
      }
      const script = `
        const { handler } = require(${JSON.stringify(path.join(dir, handlerPath))});
        const context = {
          invokedFunctionArn: ${JSON.stringify(config!.FunctionArn)},
          functionName: ${JSON.stringify(fn.name)},
          getRemainingTimeInMillis: () => 60000,
        };
        handler(JSON.parse(process.argv[1]), context).then(
          (result) => process.stdout.write(JSON.stringify({ result })),
          (err) => process.stdout.write(JSON.stringify({ errorType: err.name, errorMessage: err.message })),
        );`;
      const { stdout } = await execFileAsync(process.execPath, ['-e', script, JSON.stringify(payload)], {
        cwd: dir,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          ...config!.Environment!.Variables,
          AWS_REGION: REGION,
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_MAX_ATTEMPTS: '2',
        },
      });
      return JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('refresh-index rebuilds the (empty) index in the deployed table on a schedule event', async () => {
    const scheduled = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/events/non-matching/scheduled-event.json'), 'utf8'));
    const out = await invokeBundle(FUNCTIONS[2], scheduled);
    expect(out.errorMessage).toBeUndefined();
    expect(out.result?.action).toBe('rebuilt');
  });

  it('redeploy-secret answers a dry run for an existing secret with a report', async () => {
    const secrets = new SecretsManagerClient({ ...MOTO_CLIENT_CONFIG, endpoint: moto.endpoint });
    const created = await secrets.send(new CreateSecretCommand({ Name: 'prod/orders-db', SecretString: 'not-read-by-anyone' }));
    secrets.destroy();
    const out = await invokeBundle(FUNCTIONS[1], { secretId: 'prod/orders-db', dryRun: true });
    expect(out.errorMessage).toBeUndefined();
    expect(out.result).toMatchObject({ secret: { arn: created.ARN }, dryRun: true, services: [] });
  });

  it("keeps the error classes' names through minification (keepNames)", async () => {
    const out = await invokeBundle(FUNCTIONS[1], { nothing: 'here' });
    expect(out.errorType).toBe('MalformedEventError');
  });
});

/** The entries of a zip file (stored or deflated), from its central directory. */
function unzip(zipFile: string): Array<[string, Buffer]> {
  const zip = fs.readFileSync(zipFile);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: Array<[string, Buffer]> = [];
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (!name.endsWith('/')) entries.push([name, method === 0 ? Buffer.from(data) : zlib.inflateRawSync(data)]);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

async function queueArnOf(url: string): Promise<string> {
  const attributes = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes;
  return attributes?.QueueArn ?? '';
}

/**
 * moto gap: an inline policy created through CloudFormation is returned as Python's repr of the
 * document (`{'Version': '2012-10-17', ...}`), not URL-encoded JSON as IAM returns it. The
 * documents here hold no quotes of their own, so swapping the quotes recovers the JSON. Another:
 * a statement that an Fn::If leaves out (AWS::NoValue, e.g. ReadOwnerSecrets without secret
 * owners) stays in moto's document as None; CloudFormation drops it.
 */
function parsePolicyDocument(raw: string): { Statement: Json[] } {
  const text = decodeURIComponent(raw);
  let document: { Statement: Array<Json | null> };
  try {
    document = JSON.parse(text);
  } catch {
    document = JSON.parse(
      text
        .replace(/'/g, '"')
        .replace(/\bTrue\b/g, 'true')
        .replace(/\bFalse\b/g, 'false')
        .replace(/\bNone\b/g, 'null'),
    );
  }
  return { ...document, Statement: document.Statement.filter((s): s is Json => s !== null) };
}

function packagedRolePolicyName(roleId: string): string {
  const policies = packaged.updateTemplate.Resources[roleId].Properties?.Policies as Array<{ PolicyName: string }>;
  return policies[0].PolicyName;
}

/**
 * The Terraform module (infra/terraform), checked without cloud access: its layout (terraform
 * fmt), its example (terraform validate, with the AWS provider from a local filesystem mirror) and
 * its own tests against a mocked provider (terraform test, which validates the module first). It
 * runs in a copy, so that no .terraform directory or lock file lands in the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Behaviour } from '../../scripts/forms/behaviour';
import { MODULE_FILES, terraformModule } from '../../scripts/forms/terraform';
import { removeTempDirs, tempDir, terraform, terraformInit } from './forms';
import { ROOT } from './template';

const MODULE = path.join(ROOT, 'infra/terraform');
let copy: string;

beforeAll(() => {
  copy = path.join(tempDir('terraform'), 'module');
  fs.cpSync(MODULE, copy, { recursive: true, filter: (source) => path.basename(source) !== '.terraform' });
  terraformInit(copy);
}, 120_000);

afterAll(removeTempDirs);

test('every file is laid out as terraform fmt lays it out', () => {
  const { status, stdout } = terraform(['fmt', '-check', '-recursive', '-no-color', MODULE], ROOT, { allowFailure: true });
  expect({ status, unformatted: stdout.trim() }).toEqual({ status: 0, unformatted: '' });
});

test('the example is a valid configuration that uses the module', () => {
  const example = path.join(copy, 'examples/basic');
  terraformInit(example);
  expect(terraform(['validate', '-no-color'], example).stdout).toContain('The configuration is valid');
}, 120_000);

// terraform test validates the configuration first: an invalid module fails here.
test("the module's own tests pass against a mocked provider", () => {
  const { stdout } = terraform(['test', '-no-color'], copy);
  const runs = stdout.split('\n').filter((line) => /^\s+run "/.test(line));
  expect(runs.length).toBeGreaterThanOrEqual(6);
  expect(runs.filter((line) => !line.endsWith('... pass'))).toEqual([]);
  expect(stdout).toMatch(/Success! \d+ passed, 0 failed/);
}, 180_000);

/**
 * Every resource type and property the generator maps, set at once (some the behaviour template
 * does not use today: a key, a subscription, a topic policy, a table encrypted under a condition),
 * generated into a module that terraform validate must accept: a mapping to a wrong argument fails
 * here before any infra/ change needs it.
 */
test('every type and property the generator maps makes a configuration terraform validate accepts', () => {
  const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
  const behaviour: Behaviour = {
    service: 'ecs-secret-redeploy',
    parameters: [{ key: 'owners', cfn: 'Owners', tf: 'owners', type: 'list', default: '', description: 'Owners.', env: ['OWNERS'] }],
    bundles: { Fn: 'fn.zip' },
    template: {
      Conditions: { HasOwners: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Owners' }, ''] }] } },
      Resources: {
        Key: { Type: 'AWS::KMS::Key', Properties: { Description: 'k', EnableKeyRotation: true, PendingWindowInDays: 7, KeyPolicy: doc } },
        KeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/k', TargetKeyId: { Ref: 'Key' } } },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Path: '/p/',
            Description: 'r',
            AssumeRolePolicyDocument: doc,
            MaxSessionDuration: 3600,
            PermissionsBoundary: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
            ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
            Policies: [
              { PolicyName: 'one', PolicyDocument: doc },
              { PolicyName: 'two', PolicyDocument: doc },
            ],
          },
        },
        Group: {
          Type: 'AWS::Logs::LogGroup',
          Properties: { LogGroupName: '/aws/lambda/fn', RetentionInDays: 30, KmsKeyId: arn('Key'), LogGroupClass: 'STANDARD' },
        },
        Fn: {
          Type: 'AWS::Lambda::Function',
          DependsOn: ['Group'],
          Properties: {
            Code: { S3Bucket: { Ref: 'BundlesBucket' }, S3Key: { 'Fn::Sub': '${BundlesKeyPrefix}fn.zip' } },
            FunctionName: 'fn',
            Description: 'f',
            Role: arn('Role'),
            Handler: 'h.handler',
            Runtime: 'nodejs22.x',
            Architectures: ['arm64'],
            MemorySize: 512,
            Timeout: 60,
            ReservedConcurrentExecutions: 1,
            Environment: { Variables: { OWNERS: { Ref: 'Owners' } } },
            LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: 'Group' }, ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
            TracingConfig: { Mode: 'Active' },
          },
        },
        Queue: {
          Type: 'AWS::SQS::Queue',
          Properties: { QueueName: 'q', MessageRetentionPeriod: 60, VisibilityTimeout: 30, KmsMasterKeyId: { Ref: 'Key' } },
        },
        QueuePolicy: { Type: 'AWS::SQS::QueuePolicy', Properties: { Queues: [{ Ref: 'Queue' }], PolicyDocument: doc } },
        Invoke: {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: {
            FunctionName: { Ref: 'Fn' },
            Qualifier: '$LATEST',
            MaximumEventAgeInSeconds: 60,
            MaximumRetryAttempts: 0,
            DestinationConfig: { OnFailure: { Destination: arn('Queue') }, OnSuccess: { Destination: arn('Queue') } },
          },
        },
        Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 't', DisplayName: 'T', KmsMasterKeyId: { Ref: 'Key' } } },
        TopicPolicy: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: doc } },
        Subscription: {
          Type: 'AWS::SNS::Subscription',
          Properties: {
            TopicArn: { Ref: 'Topic' },
            Protocol: 'sqs',
            Endpoint: arn('Queue'),
            FilterPolicy: { a: ['b'] },
            RawMessageDelivery: true,
          },
        },
        Rule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            Name: 'rule',
            Description: 'd',
            EventBusName: 'default',
            EventPattern: { source: ['aws.ssm'] },
            State: 'ENABLED',
            Targets: [
              {
                Id: 'fn',
                Arn: arn('Fn'),
                Input: '{}',
                RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 1 },
                DeadLetterConfig: { Arn: arn('Queue') },
              },
              {
                'Fn::If': [
                  'HasOwners',
                  {
                    Id: 'bus',
                    Arn: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
                    RoleArn: arn('Role'),
                    InputPath: '$.detail',
                  },
                  { Ref: 'AWS::NoValue' },
                ],
              },
            ],
          },
        },
        Schedule: {
          Type: 'AWS::Events::Rule',
          Condition: 'HasOwners',
          Properties: { Name: 'tick', ScheduleExpression: 'rate(1 hour)', RoleArn: arn('Role') },
        },
        Permission: {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            Action: 'lambda:InvokeFunction',
            FunctionName: arn('Fn'),
            Principal: 'events.amazonaws.com',
            SourceArn: arn('Rule'),
            SourceAccount: '123456789012',
            PrincipalOrgID: 'o-abcdefghij',
          },
        },
        BusPolicy: {
          Type: 'AWS::Events::EventBusPolicy',
          Condition: 'HasOwners',
          Properties: {
            EventBusName: 'default',
            StatementId: 's',
            Statement: {
              Effect: 'Allow',
              Principal: { AWS: { 'Fn::Split': [',', { Ref: 'Owners' }] } },
              Action: 'events:PutEvents',
              Resource: '*',
            },
          },
        },
        Table: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            TableName: 't',
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'sk', AttributeType: 'S' },
            ],
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
            SSESpecification: {
              'Fn::If': ['HasOwners', { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arn('Key') }, { Ref: 'AWS::NoValue' }],
            },
            DeletionProtectionEnabled: { 'Fn::If': ['HasOwners', true, false] },
          },
        },
        Alarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: 'a',
            AlarmDescription: 'd',
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'Fn' } }],
            Statistic: 'Sum',
            Period: 60,
            EvaluationPeriods: 1,
            DatapointsToAlarm: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'notBreaching',
            AlarmActions: [{ Ref: 'Topic' }],
            OKActions: [{ Ref: 'Topic' }],
            InsufficientDataActions: [{ Ref: 'Topic' }],
            ActionsEnabled: true,
          },
        },
        Dashboard: {
          Type: 'AWS::CloudWatch::Dashboard',
          Properties: { DashboardName: 'd', DashboardBody: { 'Fn::Sub': '{"widgets": []}\n' } },
        },
      },
      Outputs: { KeyArn: { Description: 'the key', Value: arn('Key') } },
    },
  };
  const module = terraformModule(behaviour);
  const dir = path.join(tempDir('terraform-mappings'), 'module');
  fs.mkdirSync(dir, { recursive: true });
  for (const file of MODULE_FILES) fs.writeFileSync(path.join(dir, file), module.files[file]);
  fs.copyFileSync(path.join(MODULE, 'versions.tf'), path.join(dir, 'versions.tf'));
  terraformInit(dir);
  expect(terraform(['validate', '-no-color'], dir).stdout).toContain('The configuration is valid');
}, 120_000);

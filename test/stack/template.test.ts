/**
 * Reads the packaged stack (`npm run package`) and checks what must hold in every deployment:
 * least-privilege IAM, failure handling on every path an event takes, the rules' patterns taken
 * from infra/, alarms wired to the resources they watch, and the bundle sizes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_BUNDLE_BYTES } from '../../bench/lib/targets';
import {
  asArray,
  deployedAs,
  ensurePackaged,
  type Json,
  type Packaged,
  policyStatements,
  type Resource,
  ROOT,
  resourcesOfType,
  type Template,
} from './template';

let packaged: Packaged;
let template: Template;

beforeAll(() => {
  packaged = ensurePackaged();
  template = packaged.updateTemplate;
}, 180_000);

const FUNCTIONS = {
  OnSecretChangeLambdaFunction: { role: 'OnSecretChangeRole', handler: 'on-secret-change', zip: 'onSecretChange.zip' },
  RedeploySecretLambdaFunction: { role: 'RedeploySecretRole', handler: 'redeploy-secret', zip: 'redeploySecret.zip' },
  RefreshIndexLambdaFunction: { role: 'RefreshIndexRole', handler: 'refresh-index', zip: 'refreshIndex.zip' },
} as const;
type FunctionId = keyof typeof FUNCTIONS;

/** Only with tableEncryption naming a customer key: that key, through DynamoDB only (infra/iam.yml). */
const TABLE_KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/**
 * CodeDeploy, for the two functions that redeploy: a CODE_DEPLOY service's group and the group's
 * deployments (found after a lost answer, polled, confirmed), and CreateDeployment with the reads
 * CodeDeploy makes for its caller (only with CodeDeployRedeploys, never in a dry run).
 */
const CODEDEPLOY_ACTIONS = [
  'codedeploy:ListApplications',
  'codedeploy:BatchGetApplications',
  'codedeploy:ListDeploymentGroups',
  'codedeploy:BatchGetDeploymentGroups',
  'codedeploy:ListDeployments',
  'codedeploy:BatchGetDeployments',
  'codedeploy:CreateDeployment',
  'codedeploy:GetDeploymentConfig',
  'codedeploy:GetApplicationRevision',
  'codedeploy:RegisterApplicationRevision',
];

/** The calls each function makes (functions/), and nothing else: what its role allows, in any deployment. */
const EXPECTED_ACTIONS: Record<FunctionId, string[]> = {
  // The reconciler: events, the schedule (which scans the index and the ledger), its continuations.
  OnSecretChangeLambdaFunction: [
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecretVersionIds',
    'ssm:DescribeParameters',
    'ecs:DescribeServices',
    'ecs:ListTagsForResource',
    'ecs:UpdateService',
    'ecs:ListServiceDeployments',
    'ecs:DescribeServiceDeployments',
    'ecs:DescribeTasks',
    'ecs:DescribeTaskDefinition',
    'ecs:ListClusters',
    'ecs:ListServices',
    'ecs:ListTasks',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'dynamodb:BatchWriteItem',
    'lambda:InvokeFunction',
    'events:PutEvents',
    'sqs:SendMessage',
    'dynamodb:Scan',
    // One-time reconciles of held consumers (docs/windows.md), run by Scheduler as WakeupRole.
    'scheduler:CreateSchedule',
    'iam:PassRole',
    // Only with secretOwners set: the owner accounts' read role (infra/secret-owners.yml).
    'sts:AssumeRole',
    ...TABLE_KEY_ACTIONS,
    ...CODEDEPLOY_ACTIONS,
    // Only with chatTopic set: the chat topic (infra/chat-notifications.yml, test/stack/chat-notifications.test.ts).
    'sns:Publish',
  ],
  RedeploySecretLambdaFunction: [
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecretVersionIds',
    'ssm:DescribeParameters',
    'ecs:DescribeServices',
    'ecs:ListTagsForResource',
    'ecs:UpdateService',
    'ecs:DescribeTasks',
    'ecs:DescribeTaskDefinition',
    'ecs:ListClusters',
    'ecs:ListServices',
    'ecs:ListTasks',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'dynamodb:BatchWriteItem',
    'lambda:InvokeFunction',
    'events:PutEvents',
    'sqs:SendMessage',
    'scheduler:CreateSchedule',
    'iam:PassRole',
    // Only with secretOwners set: the owner accounts' read role (infra/secret-owners.yml).
    'sts:AssumeRole',
    ...TABLE_KEY_ACTIONS,
    ...CODEDEPLOY_ACTIONS,
    // Only with chatTopic set: the chat topic (infra/chat-notifications.yml, test/stack/chat-notifications.test.ts).
    'sns:Publish',
  ],
  RefreshIndexLambdaFunction: [
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecretVersionIds',
    'ssm:DescribeParameters',
    'ecs:DescribeServices',
    'ecs:ListTagsForResource',
    'ecs:DescribeTasks',
    'ecs:DescribeTaskDefinition',
    'ecs:ListClusters',
    'ecs:ListServices',
    'ecs:ListTasks',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'dynamodb:Scan',
    'dynamodb:BatchWriteItem',
    'lambda:InvokeFunction',
    'sqs:SendMessage',
    // Only with secretOwners set: the owner accounts' read role (infra/secret-owners.yml).
    'sts:AssumeRole',
    ...TABLE_KEY_ACTIONS,
  ],
};

/** Actions IAM does not scope to a resource: the only ones allowed on "*". */
const UNSCOPED_ACTIONS = [
  'ecs:describetaskdefinition',
  'ecs:listclusters',
  'ecs:listservices',
  'ecs:listtasks',
  'ssm:describeparameters',
  'codedeploy:listapplications',
];

/** Why a statement is not allowed, or undefined when it is fine. */
function forbiddenGrant(statement: Json): string | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  if (statement.NotAction !== undefined) return 'Allow with NotAction grants everything else';
  for (const action of asArray(statement.Action as string | string[] | undefined)) {
    const a = String(action).toLowerCase();
    if (a.includes('*') || a.includes('?')) return `wildcard action "${action}"`;
    if (a === 'secretsmanager:getsecretvalue' || a === 'secretsmanager:batchgetsecretvalue') return `"${action}" reads secret values`;
    if (a.startsWith('ssm:getparameter')) return `"${action}" reads parameter values`;
  }
  return undefined;
}

describe('IAM: least privilege', () => {
  it('the checker itself flags what it must', () => {
    expect(forbiddenGrant({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' })).toMatch(/secret values/);
    expect(forbiddenGrant({ Effect: 'Allow', Action: ['ecs:ListServices', 'SSM:GetParametersByPath'], Resource: '*' })).toMatch(
      /parameter values/,
    );
    expect(forbiddenGrant({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' })).toMatch(/parameter values/);
    expect(forbiddenGrant({ Effect: 'Allow', Action: 'ecs:*', Resource: '*' })).toMatch(/wildcard/);
    expect(forbiddenGrant({ Effect: 'Allow', Action: '*', Resource: '*' })).toMatch(/wildcard/);
    expect(forbiddenGrant({ Effect: 'Allow', Action: 'secretsmanager:Get*', Resource: '*' })).toMatch(/wildcard/);
    expect(forbiddenGrant({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })).toMatch(/NotAction/);
    expect(forbiddenGrant({ Effect: 'Deny', Action: 's3:*', Resource: '*' })).toBeUndefined();
    expect(forbiddenGrant({ Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: '*' })).toBeUndefined();
  });

  it('no statement in the stack allows GetSecretValue, ssm:GetParameter* or a wildcard action', () => {
    const statements = [...policyStatements(packaged.createTemplate), ...policyStatements(template)];
    expect(statements.length).toBeGreaterThan(10);
    const findings = statements
      .map(({ where, statement }) => ({ where, why: forbiddenGrant(statement) }))
      .filter((f) => f.why !== undefined);
    expect(findings).toEqual([]);
  });

  it('no inline policy elsewhere: roles only come from infra/iam.yml (and the optional forwarding roles), the framework made none', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(
      resourcesOfType(template, 'AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...Object.values(FUNCTIONS).map((f) => f.role), 'ForwardToCentralBusRole', 'ForwardSecretEventsRole', 'WakeupRole'].sort());
    expect(template.Resources.ForwardToCentralBusRole.Condition).toBe('ForwardToCentralBus');
    expect(template.Resources.ForwardSecretEventsRole.Condition).toBe('ForwardSecretEvents');
    expect(resourcesOfType(template, 'AWS::IAM::Policy')).toEqual([]);
    expect(resourcesOfType(template, 'AWS::IAM::ManagedPolicy')).toEqual([]);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionId[])('%s has its own role, allowed exactly the calls it makes', (functionId) => {
    const fn = template.Resources[functionId];
    const roleId = FUNCTIONS[functionId].role;
    expect(fn.Properties?.Role).toEqual({ 'Fn::Sub': `\${${roleId}.Arn}` });
    const role = template.Resources[roleId];
    expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    // The Denies (never-values, the opt-out) are checked in least-privilege.test.ts.
    const statements = policyStatements({ Resources: { [roleId]: role } }).filter(
      (s) => !s.where.includes('AssumeRolePolicyDocument') && s.statement.Effect === 'Allow',
    );
    const actions = statements.flatMap(({ statement }) => asArray(statement.Action as string | string[]));
    expect([...actions].sort()).toEqual([...EXPECTED_ACTIONS[functionId]].sort());
    // Resource "*" only where IAM has no resource to scope to (among the Allows).
    for (const { statement } of statements) {
      if (asArray(statement.Resource as unknown).includes('*')) {
        for (const action of asArray(statement.Action as string | string[])) expect(UNSCOPED_ACTIONS).toContain(action.toLowerCase());
      }
    }
    // The assume-role policy trusts Lambda only.
    const trust = policyStatements({ Resources: { [roleId]: role } }).filter((s) => s.where.includes('AssumeRolePolicyDocument'));
    expect(trust.map((t) => t.statement.Principal)).toEqual([{ Service: 'lambda.amazonaws.com' }]);
  });

  it('scopes the table, queue, bus, secrets, services and logs to this stack and account', () => {
    const byAction = (roleId: string, action: string) =>
      policyStatements({ Resources: { [roleId]: template.Resources[roleId] } })
        .map((s) => s.statement)
        .filter((s) => s.Effect === 'Allow' && asArray(s.Action as string | string[]).includes(action))
        .map((s) => s.Resource);
    for (const { role, handler } of Object.values(FUNCTIONS)) {
      expect(byAction(role, 'dynamodb:GetItem')).toEqual([{ 'Fn::GetAtt': ['StateTable', 'Arn'] }]);
      expect(byAction(role, 'sqs:SendMessage')).toEqual([{ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }]);
      // Every region of the account: a task definition may read a secret or parameter of another
      // region, whose versions the reconcile reads there (docs/how-it-works.md, "Secrets in another region").
      expect(byAction(role, 'secretsmanager:DescribeSecret')).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:*:${AWS::AccountId}:secret:*' },
      ]);
      expect(byAction(role, 'ssm:DescribeParameters')).toEqual(['*']);
      expect(byAction(role, 'logs:PutLogEvents')).toEqual([
        {
          'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/ecs-secret-redeploy-ci-${handler}:*`,
        },
      ]);
    }
    expect(byAction('OnSecretChangeRole', 'ecs:UpdateService')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/*' },
    ]);
    // The schedule's poll reads ECS's records of the deployments it made, in this account and region only.
    expect(byAction('OnSecretChangeRole', 'ecs:ListServiceDeployments')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/*' },
    ]);
    expect(byAction('OnSecretChangeRole', 'ecs:DescribeServiceDeployments')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service-deployment/*' },
    ]);
    expect(byAction('OnSecretChangeRole', 'events:PutEvents')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' },
    ]);
    // A run continues in the reconciler, and only there.
    const reconciler = {
      'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:ecs-secret-redeploy-ci-on-secret-change',
    };
    expect(byAction('OnSecretChangeRole', 'lambda:InvokeFunction')).toEqual([reconciler]);
    expect(byAction('RedeploySecretRole', 'lambda:InvokeFunction')).toEqual([reconciler]);
    // Wakeups: schedules of this service's names in the account's default group, run as WakeupRole, handed to Scheduler only.
    for (const role of ['OnSecretChangeRole', 'RedeploySecretRole']) {
      expect(byAction(role, 'scheduler:CreateSchedule')).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/esr-*' },
      ]);
      expect(byAction(role, 'iam:PassRole')).toEqual([{ 'Fn::GetAtt': ['WakeupRole', 'Arn'] }]);
      const pass = policyStatements({ Resources: { [role]: template.Resources[role] } }).find((s) =>
        asArray(s.statement.Action as string | string[]).includes('iam:PassRole'),
      );
      expect(pass?.statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    }
    expect(byAction('RefreshIndexRole', 'scheduler:CreateSchedule')).toEqual([]);
    // A rebuild near its deadline continues in refresh-index itself, and only there.
    expect(byAction('RefreshIndexRole', 'lambda:InvokeFunction')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:ecs-secret-redeploy-ci-refresh-index' },
    ]);
  });
});

describe('wakeups (one-time schedules in the default group)', () => {
  it('no schedule group of their own; a role only Scheduler may assume, for the default group of this account, that may only invoke the reconciler', () => {
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Scheduler::ScheduleGroup')).toEqual([]);
    const role = template.Resources.WakeupRole;
    const all = policyStatements({ Resources: { WakeupRole: role } });
    const trust = all.filter((s) => s.where.includes('AssumeRolePolicyDocument')).map((s) => s.statement);
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: {
            'aws:SourceArn': {
              'Fn::Sub': 'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/default',
            },
          },
        },
      },
    ]);
    const granted = all
      .filter((s) => !s.where.includes('AssumeRolePolicyDocument') && s.statement.Effect === 'Allow')
      .map((s) => s.statement);
    expect(granted).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: {
          'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:ecs-secret-redeploy-ci-on-secret-change',
        },
      }),
    ]);
    // Not under the functions' path, which the owner accounts' read role trusts.
    expect(role.Properties?.Path).toBeUndefined();
  });

  it('the functions that reconcile are told the group, the role and the reconciler to invoke; refresh-index is not', () => {
    const wakeups = {
      WAKEUP_SCHEDULE_GROUP: 'default',
      WAKEUP_ROLE_ARN: { 'Fn::GetAtt': ['WakeupRole', 'Arn'] },
      WAKEUP_TARGET_ARN: {
        'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:ecs-secret-redeploy-ci-on-secret-change',
      },
    };
    const env = (id: FunctionId) => (template.Resources[id].Properties?.Environment as { Variables: Json } | undefined)?.Variables;
    expect(env('OnSecretChangeLambdaFunction')).toMatchObject(wakeups);
    expect(env('RedeploySecretLambdaFunction')).toMatchObject(wakeups);
    expect(env('RefreshIndexLambdaFunction')).not.toHaveProperty('WAKEUP_SCHEDULE_GROUP');
  });
});

describe('functions', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionId[])('%s: nodejs22.x, bundled handler, configuration from the environment', (functionId) => {
    const props = template.Resources[functionId].Properties ?? {};
    expect(props.Runtime).toBe('nodejs22.x');
    expect(props.Handler).toBe(`functions/handlers/${FUNCTIONS[functionId].handler}.handler`);
    expect(props.FunctionName).toBe(`ecs-secret-redeploy-ci-${FUNCTIONS[functionId].handler}`);
    const {
      WAKEUP_SCHEDULE_GROUP: _g,
      WAKEUP_ROLE_ARN: _r,
      WAKEUP_TARGET_ARN: _t,
      ...variables
    } = (props.Environment as { Variables: Json }).Variables;
    expect(variables).toEqual({
      STATE_TABLE: { Ref: 'StateTable' },
      // The template parameters the roles follow (infra/iam.yml), so that both always agree.
      CLUSTERS: { Ref: 'Clusters' },
      CODEDEPLOY_REDEPLOYS: { Ref: 'CodeDeployRedeploys' },
      MAX_CONCURRENCY: '5',
      DRY_RUN: { Ref: 'DryRun' },
      EVENT_BUS_NAME: 'default',
      // The chat topic when param chatTopic is set (test/stack/chat-notifications.test.ts), and the dashboard its messages link.
      CHAT_TOPIC_ARN: {
        'Fn::If': ['HasChatTopic', { 'Fn::If': ['CreateChatTopic', { Ref: 'ChatNotificationsTopic' }, { Ref: 'ChatTopic' }] }, ''],
      },
      DASHBOARD_NAME: 'ecs-secret-redeploy-ci',
      UPDATE_SERVICE_RATE: '2',
      UPDATE_SERVICE_BURST: '10',
      DEFAULT_WAVE: '1',
      DEPLOYMENT_TIMEOUT_MINUTES: '60',
      CLAIM_LEASE_SECONDS: '60',
      DEADLINE_MARGIN_SECONDS: '10',
      // Restart windows: no default window, a day's deadline.
      DEFAULT_RESTART_WINDOW: '',
      DEFAULT_RESTART_DEADLINE: '24h',
      // Other accounts whose secrets are managed (none by default), and their read role's name.
      SECRET_OWNERS: { Ref: 'SecretOwners' },
      OWNER_READ_ROLE: { Ref: 'OwnerReadRole' },
      RECONCILER_FUNCTION: 'ecs-secret-redeploy-ci-on-secret-change',
      AWS_MAX_ATTEMPTS: '8',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NODE_OPTIONS: '--enable-source-maps',
      // Powertools: the metrics' namespace and `service` dimension (infra/dashboard.yml and
      // infra/alarms.yml read the same), and the log level (param logLevel).
      POWERTOOLS_SERVICE_NAME: 'ecs-secret-redeploy-ci',
      POWERTOOLS_METRICS_NAMESPACE: 'ecs-secret-redeploy',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it("the reconciler runs one at a time: its UpdateService rate is the whole tool's, and a storm cannot take the account", () => {
    expect(template.Resources.OnSecretChangeLambdaFunction.Properties?.ReservedConcurrentExecutions).toBe(1);
  });

  it.each([
    ['OnSecretChangeLambdaFunction', 2, 21600],
    ['RedeploySecretLambdaFunction', 0, 3600],
    ['RefreshIndexLambdaFunction', 1, 3600],
  ])('%s: async retries %i, maximum event age %i s, then the dead-letter queue', (functionId, retries, age) => {
    const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').filter(
      ([, r]) => JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: functionId }),
    );
    expect(configs).toHaveLength(1);
    expect(configs[0][1].Properties).toEqual({
      FunctionName: { Ref: functionId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: retries,
      MaximumEventAgeInSeconds: age,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
    });
  });

  it('every function has a log group with a retention', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups.map(([, g]) => g.Properties?.LogGroupName).sort()).toEqual(
      Object.values(FUNCTIONS)
        .map((f) => `/aws/lambda/ecs-secret-redeploy-ci-${f.handler}`)
        .sort(),
    );
    for (const [, g] of groups) expect(g.Properties?.RetentionInDays).toBe(30);
  });

  it(`each bundle stays under ${MAX_BUNDLE_BYTES / 1024} KB`, () => {
    for (const { zip, handler } of Object.values(FUNCTIONS)) {
      const size = bundledSize(path.join(packaged.dir, zip), `functions/handlers/${handler}.js`);
      expect(size).toBeGreaterThan(10_000);
      expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    }
  });
});

describe('rules', () => {
  const pattern = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'infra/event-patterns', file), 'utf8'));
  const RULES = [
    { name: 'ecs-secret-redeploy-ci-secret-api-call', target: 'OnSecretChangeLambdaFunction', pattern: 'secretsmanager-api-call.json' },
    {
      name: 'ecs-secret-redeploy-ci-rotation-events',
      target: 'OnSecretChangeLambdaFunction',
      pattern: 'secretsmanager-service-events.json',
    },
    {
      name: 'ecs-secret-redeploy-ci-secret-label-updated',
      target: 'OnSecretChangeLambdaFunction',
      pattern: 'secretsmanager-label-updated.json',
    },
    { name: 'ecs-secret-redeploy-ci-parameter-change', target: 'OnSecretChangeLambdaFunction', pattern: 'ssm-parameter-change.json' },
    {
      name: 'ecs-secret-redeploy-ci-deployment-progress',
      target: 'OnSecretChangeLambdaFunction',
      pattern: 'ecs-deployment-progress.json',
    },
    {
      name: 'ecs-secret-redeploy-ci-codedeploy-deployment',
      target: 'OnSecretChangeLambdaFunction',
      pattern: 'codedeploy-deployment-state-change.json',
    },
    { name: 'ecs-secret-redeploy-ci-ecs-deployment', target: 'RefreshIndexLambdaFunction', pattern: 'ecs-deployment-state-change.json' },
    { name: 'ecs-secret-redeploy-ci-index-rebuild', target: 'RefreshIndexLambdaFunction', schedule: 'rate(6 hours)' },
    { name: 'ecs-secret-redeploy-ci-reconcile', target: 'OnSecretChangeLambdaFunction', schedule: 'rate(30 minutes)' },
  ];
  /** The rules that always exist (the forwarding rule exists only with a central bus). */
  const functionRules = () =>
    resourcesOfType(template, 'AWS::Events::Rule')
      .filter(([, r]) => r.Condition === undefined)
      .map(([, r]) => r.Properties ?? {});

  it('are exactly these rules, each with its pattern from infra/ or its schedule', () => {
    const rules = functionRules();
    expect(rules.map((r) => r.Name).sort()).toEqual(RULES.map((r) => r.name).sort());
    for (const expected of RULES) {
      const rule = rules.find((r) => r.Name === expected.name)!;
      expect(rule.State).toBe('ENABLED');
      expect(rule.EventBusName).toBeUndefined(); // the default bus, where AWS services send their events
      if (expected.pattern) expect(rule.EventPattern).toEqual(pattern(expected.pattern));
      else expect(rule.ScheduleExpression).toBe(expected.schedule);
    }
  });

  it('on-secret-change hears rotations and replications that end, DeleteSecret, and the deployments that move a rollout on', () => {
    expect(pattern('secretsmanager-service-events.json').detail.eventName).toEqual([
      'RotationSucceeded',
      'RotationFailed',
      'RotationAbandoned',
      'ReplicationSucceeded',
      'ReplicationFailed',
    ]);
    expect(pattern('secretsmanager-api-call.json').detail.eventName).toContain('DeleteSecret');
    // The documented ECS eventNames: IN_PROGRESS starts no wave, so it goes to refresh-index only.
    expect(pattern('ecs-deployment-progress.json')).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      detail: { eventName: ['SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_DEPLOYMENT_FAILED'] },
    });
    expect(pattern('ecs-deployment-state-change.json')).toEqual({ source: ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'] });
    // CodeDeploy's deployment events (sent directly, best effort): only the states that end one (START and READY end none).
    expect(pattern('codedeploy-deployment-state-change.json')).toEqual({
      source: ['aws.codedeploy'],
      'detail-type': ['CodeDeploy Deployment State-change Notification'],
      detail: { state: ['SUCCESS', 'FAILURE', 'STOP'] },
    });
  });

  it('target their function, retry delivery, and dead-letter to the queue, which lets exactly these rules send', () => {
    const rules = functionRules();
    for (const expected of RULES) {
      const rule = rules.find((r) => r.Name === expected.name)!;
      const targets = rule.Targets as Json[];
      expect(targets).toHaveLength(1);
      expect(targets[0].Arn).toEqual({ 'Fn::GetAtt': [expected.target, 'Arn'] });
      expect(targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
      expect(targets[0].RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
      // The function lets this rule invoke it.
      const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, p]) =>
        JSON.stringify(p.Properties?.SourceArn).includes(`"${expected.name}"`),
      );
      expect(permissions).toHaveLength(1);
      expect(permissions[0][1].Properties?.FunctionName).toEqual({ 'Fn::GetAtt': [expected.target, 'Arn'] });
      expect(permissions[0][1].Properties?.Principal).toBe('events.amazonaws.com');
    }
    const queuePolicy = template.Resources.DeadLetterQueuePolicy.Properties?.PolicyDocument as { Statement: Json[] };
    const fromRules = queuePolicy.Statement.find((s) => s.Effect === 'Allow')!;
    expect(fromRules.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(fromRules.Action).toBe('sqs:SendMessage');
    expect(fromRules.Condition).toEqual({
      ArnLike: {
        'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/ecs-secret-redeploy-ci-*' },
      },
    });
  });
});

describe('state table, queue, alarms', () => {
  it('the table: pk/sk, on demand, TTL on expiresAt, point-in-time recovery, its key and deletion protection from parameters', () => {
    expect(template.Resources.StateTable.Properties).toEqual({
      TableName: 'ecs-secret-redeploy-ci',
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
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: { 'Fn::If': ['TableDeletionProtected', true, false] },
      SSESpecification: {
        'Fn::If': [
          'TableOnAwsOwnedKey',
          { Ref: 'AWS::NoValue' },
          {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: { 'Fn::If': ['TableOnCustomerKey', { Ref: 'TableEncryption' }, { Ref: 'AWS::NoValue' }] },
          },
        ],
      },
    });
  });

  it('the dead-letter queue keeps messages 14 days, encrypted', () => {
    expect(template.Resources.DeadLetterQueue.Properties).toMatchObject({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
  });

  it('one Errors alarm per function, one on the dead-letter queue depth, four on our metrics, all notifying the alarm topic', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    expect(alarms).toHaveLength(8);
    for (const functionId of Object.keys(FUNCTIONS)) {
      const alarm = alarms.find(
        (a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: functionId } }]),
      );
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    const dlq = alarms.find((a) => a.Namespace === 'AWS/SQS');
    expect(dlq).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm.OKActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    expect(template.Resources.AlarmTopic.Type).toBe('AWS::SNS::Topic');
  });

  it.each([
    ['RedeployFailed', 'ecs-secret-redeploy-ci-redeploy-failed', 300],
    ['RolloutHalted', 'ecs-secret-redeploy-ci-rollout-halted', 300],
    // Emitted by the scheduled reconcile only: summed over its period (rate(30 minutes)), see infra/alarms.yml.
    ['DriftFound', 'ecs-secret-redeploy-ci-drift-found', 1800],
    // Counted by every reconcile that finds a deadline missed: summed over the schedule's period too.
    ['RestartDeadlinesMissed', 'ecs-secret-redeploy-ci-restart-deadline-missed', 1800],
  ])('alarms on %s > 0 (%s, Sum over %i s), in our namespace with the service dimension', (metric, name, period) => {
    expect(emittedMetricNames()).toContain(metric);
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties ?? {})
      .filter((a) => a.MetricName === metric);
    expect(alarms).toEqual([
      expect.objectContaining({
        AlarmName: name,
        Namespace: METRICS_NAMESPACE,
        Dimensions: [SERVICE_DIMENSION],
        Statistic: 'Sum',
        Period: period,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
    // What the functions are told to emit under: the same namespace and dimension value.
    const env =
      (template.Resources.OnSecretChangeLambdaFunction.Properties?.Environment as { Variables: Json } | undefined)?.Variables ?? {};
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(alarms[0].Namespace);
    expect(env.POWERTOOLS_SERVICE_NAME).toBe(SERVICE_DIMENSION.Value);
  });

  it("forwards this service's events to the central bus only when one is named", () => {
    const forward = template.Resources.ForwardToCentralBusRule;
    expect(forward.Condition).toBe('ForwardToCentralBus');
    expect(forward.Properties).toMatchObject({
      Name: 'ecs-secret-redeploy-ci-forward-to-central-bus',
      EventPattern: { source: ['ecs-secret-redeploy'] },
      Targets: [{ Arn: { Ref: 'CentralEventBusArn' }, RoleArn: { 'Fn::GetAtt': ['ForwardToCentralBusRole', 'Arn'] } }],
    });
  });

  it('references only resources (and parameters) that exist in the template', () => {
    const ids = new Set([...Object.keys(template.Resources), ...Object.keys((template as { Parameters?: Json }).Parameters ?? {})]);
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node as Json)) {
          if (k === 'Ref' && typeof v === 'string' && !v.startsWith('AWS::')) refs.push(v);
          else if (k === 'Fn::GetAtt' && Array.isArray(v)) refs.push(String(v[0]));
          else if (k === 'Fn::Sub' && typeof v === 'string') {
            for (const m of v.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g)) refs.push(m[1]);
          } else walk(v);
        }
      }
    };
    walk(template.Resources as unknown as Record<string, Resource>);
    walk(template.Outputs);
    expect(refs.filter((r) => !ids.has(r))).toEqual([]);
  });
});

describe('forwarding secret events to other regions (param forwardSecretEventsTo)', () => {
  const ACCOUNT = '111122223333';
  const FORWARDING = [
    'ForwardSecretEventsRole',
    'ForwardSecretApiCallsRule',
    'ForwardRotationEventsRule',
    'ForwardSecretLabelUpdatedRule',
    'ForwardParameterChangeRule',
  ];
  /** The forwarding rules and the on-secret-change rule whose pattern each one repeats. */
  const RULES: Record<string, { name: string; pattern: string; functionRule: string }> = {
    ForwardSecretApiCallsRule: {
      name: 'ecs-secret-redeploy-ci-forward-secret-api-call',
      pattern: 'secretsmanager-api-call.json',
      functionRule: 'ecs-secret-redeploy-ci-secret-api-call',
    },
    ForwardRotationEventsRule: {
      name: 'ecs-secret-redeploy-ci-forward-rotation-events',
      pattern: 'secretsmanager-service-events.json',
      functionRule: 'ecs-secret-redeploy-ci-rotation-events',
    },
    ForwardSecretLabelUpdatedRule: {
      name: 'ecs-secret-redeploy-ci-forward-secret-label-updated',
      pattern: 'secretsmanager-label-updated.json',
      functionRule: 'ecs-secret-redeploy-ci-secret-label-updated',
    },
    ForwardParameterChangeRule: {
      name: 'ecs-secret-redeploy-ci-forward-parameter-change',
      pattern: 'ssm-parameter-change.json',
      functionRule: 'ecs-secret-redeploy-ci-parameter-change',
    },
  };
  const deployed = (value: string, region = 'eu-west-1') =>
    deployedAs(template as Template & { Parameters?: Json; Conditions?: Json }, {
      region,
      account: ACCOUNT,
      parameters: { ForwardSecretEventsTo: value },
    });
  const bus = (region: string) => `arn:aws:events:${region}:${ACCOUNT}:event-bus/default`;
  const targetsOf = (resources: Template['Resources'], id: string) => (resources[id].Properties?.Targets ?? []) as Json[];

  it('is a template parameter, empty by default, that takes up to five region names', () => {
    const parameter = (template as { Parameters?: Record<string, { Default?: string; AllowedPattern?: string }> }).Parameters
      ?.ForwardSecretEventsTo;
    expect(parameter?.Default).toBe('');
    const allowed = new RegExp(parameter?.AllowedPattern ?? '^$');
    for (const value of ['', 'us-east-1', 'us-east-1,eu-central-1', 'us-gov-west-1', 'us-east-1,us-east-2,us-west-1,us-west-2,eu-west-2'])
      expect({ value, allowed: allowed.test(value) }).toEqual({ value, allowed: true });
    for (const value of [
      'us-east-1, eu-central-1',
      'US-EAST-1',
      'us-east-1,',
      ',us-east-1',
      '../etc',
      'a,b,c,d,e,f',
      'us-east-1,us-east-2,us-west-1,us-west-2,eu-west-2,eu-west-3',
    ])
      expect({ value, allowed: allowed.test(value) }).toEqual({ value, allowed: false });
  });

  it('creates nothing when empty (the default), nor when it lists only this region', () => {
    for (const id of FORWARDING)
      expect({ id, condition: template.Resources[id].Condition }).toEqual({ id, condition: 'ForwardSecretEvents' });
    for (const value of ['', 'eu-west-1']) {
      const resources = deployed(value);
      expect(FORWARDING.filter((id) => id in resources)).toEqual([]);
      // The functions' own rules are there whatever the value.
      expect(Object.keys(resources)).toContain('OnSecretChangeLambdaFunction');
    }
  });

  it("forwards with the on-secret-change rules' patterns, on the default bus, to the default bus of each listed region", () => {
    const resources = deployed('us-east-1,ap-south-1');
    const functionRules = resourcesOfType(template, 'AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    for (const [id, expected] of Object.entries(RULES)) {
      const rule = resources[id].Properties ?? {};
      expect(rule.Name).toBe(expected.name); // the dead-letter queue policy admits the rule prefix
      expect(rule.State).toBe('ENABLED');
      expect(rule.EventBusName).toBeUndefined(); // the default bus, where Secrets Manager and SSM put their events
      const onDisk = JSON.parse(fs.readFileSync(path.join(ROOT, 'infra/event-patterns', expected.pattern), 'utf8'));
      expect(rule.EventPattern).toEqual(onDisk);
      expect(functionRules.find((r) => r.Name === expected.functionRule)?.EventPattern).toEqual(onDisk);
      expect(targetsOf(resources, id)).toEqual(
        ['us-east-1', 'ap-south-1'].map((region) => ({
          Id: region,
          Arn: bus(region),
          // A bus of another region is a target only with a role that may put events on it.
          RoleArn: { 'Fn::GetAtt': ['ForwardSecretEventsRole', 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
        })),
      );
    }
    // Exactly the patterns of the secret and parameter rules: ECS events concern this region's services only.
    expect(
      Object.values(RULES)
        .map((r) => r.pattern)
        .sort(),
    ).toEqual([
      'secretsmanager-api-call.json',
      'secretsmanager-label-updated.json',
      'secretsmanager-service-events.json',
      'ssm-parameter-change.json',
    ]);
  });

  it('gives EventBridge, for these rules only, a role that may only put secret events on the listed buses', () => {
    const resources = deployed('us-east-1,ap-south-1');
    const statements = policyStatements({ Resources: { R: resources.ForwardSecretEventsRole } });
    const rule = (name: string) => `arn:aws:events:eu-west-1:${ACCOUNT}:rule/ecs-secret-redeploy-ci-forward-${name}`;
    expect(statements.filter((s) => s.statement.Effect === 'Allow').map((s) => s.statement)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnEquals: { 'aws:SourceArn': ['secret-api-call', 'rotation-events', 'secret-label-updated', 'parameter-change'].map(rule) },
        },
      },
      {
        Sid: 'PutOnTheListedRegionsDefaultBusOnly',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Condition: { StringEquals: { 'events:source': ['aws.secretsmanager', 'aws.ssm'] } },
        Resource: [bus('us-east-1'), bus('ap-south-1')],
      },
    ]);
    // The rules it is for are exactly the forwarding rules.
    expect(Object.values(RULES).map((r) => rule(r.name.replace('ecs-secret-redeploy-ci-forward-', '')))).toEqual(
      (statements[0].statement.Condition as { ArnEquals: { 'aws:SourceArn': string[] } }).ArnEquals['aws:SourceArn'],
    );
  });

  it("skips this stack's own region, so one list can name every region of a StackSet", () => {
    const everyRegion = 'eu-west-1,us-east-1,ap-south-1';
    for (const [region, others] of [
      ['eu-west-1', ['us-east-1', 'ap-south-1']],
      ['us-east-1', ['eu-west-1', 'ap-south-1']],
      ['ap-south-1', ['eu-west-1', 'us-east-1']],
    ] as const) {
      const resources = deployed(everyRegion, region);
      for (const id of Object.keys(RULES)) expect(targetsOf(resources, id).map((t) => t.Arn)).toEqual(others.map(bus));
      const [, allow] = policyStatements({ Resources: { R: resources.ForwardSecretEventsRole } });
      expect(allow.statement.Resource).toEqual(others.map(bus));
    }
  });

  it('takes five regions, the most targets a rule may have', () => {
    const five = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-2'];
    const resources = deployed(five.join(','));
    for (const id of Object.keys(RULES)) expect(targetsOf(resources, id).map((t) => t.Id)).toEqual(five);
  });
});

/** The metric names of functions/ports/metrics.ts (its `MetricName` union): what the functions emit. */
function emittedMetricNames(): string[] {
  const source = fs.readFileSync(path.join(ROOT, 'functions/ports/metrics.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const union = /export type MetricName\s*=([^;]*);/.exec(source)?.[1] ?? '';
  const names = [...union.matchAll(/\|\s*'([A-Za-z]+)'/g)].map((m) => m[1]);
  if (names.length === 0) throw new Error('no MetricName union found in functions/ports/metrics.ts');
  return names;
}

const METRICS_NAMESPACE = 'ecs-secret-redeploy';
const SERVICE_DIMENSION = { Name: 'service', Value: 'ecs-secret-redeploy-ci' };

describe('dashboard', () => {
  /** The dashboard body with its Fn::Sub variables as written (`${X}`), the region made eu-west-1. */
  const body = () => {
    const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const sub = (dashboards[0][1].Properties?.DashboardBody as { 'Fn::Sub'?: string } | undefined)?.['Fn::Sub'] ?? '';
    expect(sub).toContain('"widgets"');
    return JSON.parse(sub.replaceAll('${AWS::Region}', 'eu-west-1')) as { widgets: Array<{ type: string; properties: Json }> };
  };
  /** Every metric of every metric widget: [namespace, name, dimension name, dimension value] and the widget's stat. */
  const metrics = () =>
    body()
      .widgets.filter((w) => w.type === 'metric')
      .flatMap((w) =>
        (w.properties.metrics as unknown[][]).map((m) => {
          const options = (typeof m[m.length - 1] === 'object' ? m[m.length - 1] : {}) as Json;
          const [namespace, name, ...dimensions] = m.filter((part) => typeof part === 'string') as string[];
          return { namespace, name, dimensions, stat: (options.stat ?? w.properties.stat) as string, widget: w.properties };
        }),
      );

  it('exists, named like the stack, with a JSON body whose widgets all read this region', () => {
    const [[, dashboard]] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties?.DashboardName).toBe('ecs-secret-redeploy-ci');
    const widgets = body().widgets;
    expect(widgets.length).toBeGreaterThan(5);
    // 5 minutes, but for the restart windows' waits: per 30 minutes, in which the scheduled reconcile counts each once.
    const waits = (w: { properties: Json }) => JSON.stringify(w.properties.metrics).match(/WaitingForWindow|OldestWindowWaitSeconds/);
    for (const w of widgets.filter((w) => w.type === 'metric')) {
      expect(w.properties.region).toBe('eu-west-1');
      expect(w.properties.period).toBe(waits(w) ? 1800 : 300);
    }
    // The region comes from Fn::Sub, never written literally (the StackSet runs it in every region).
    expect(JSON.stringify(dashboard)).not.toContain('eu-west-1');
  });

  it('shows every metric of functions/ports/metrics.ts, and no other, with the service dimension', () => {
    const own = metrics().filter((m) => m.namespace === METRICS_NAMESPACE);
    expect([...new Set(own.map((m) => m.name))].sort()).toEqual(emittedMetricNames().sort());
    for (const m of own) expect(m.dimensions).toEqual([SERVICE_DIMENSION.Name, SERVICE_DIMENSION.Value]);
    // Counts as a Sum; the delay from change to deployment as p50, p90 and maximum; the oldest wait as a maximum.
    const seconds = ['SecondsFromChangeToDeploy', 'OldestWindowWaitSeconds'];
    for (const m of own.filter((m) => !seconds.includes(m.name))) expect(m.stat).toBe('Sum');
    expect(own.filter((m) => m.name === 'OldestWindowWaitSeconds').map((m) => m.stat)).toEqual(['Maximum']);
    expect(own.filter((m) => m.name === 'SecondsFromChangeToDeploy').map((m) => m.stat)).toEqual(['p50', 'p90', 'Maximum']);
  });

  it("shows the three functions' Errors, Throttles and Duration, and the dead-letter queue depth, by reference", () => {
    const lambda = metrics().filter((m) => m.namespace === 'AWS/Lambda');
    for (const name of ['Errors', 'Throttles', 'Duration']) {
      expect(lambda.filter((m) => m.name === name).map((m) => m.dimensions)).toEqual(
        Object.keys(FUNCTIONS).map((id) => ['FunctionName', `\${${id}}`]),
      );
    }
    expect(lambda.map((m) => m.name).sort()).toEqual(['Duration', 'Errors', 'Throttles'].flatMap((n) => [n, n, n]).sort());
    const queue = metrics().filter((m) => m.namespace === 'AWS/SQS');
    expect(queue).toEqual([
      expect.objectContaining({
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: ['QueueName', '${DeadLetterQueue.QueueName}'],
        stat: 'Maximum',
      }),
    ]);
    expect(new Set(metrics().map((m) => m.namespace))).toEqual(new Set([METRICS_NAMESPACE, 'AWS/Lambda', 'AWS/SQS']));
  });
});

/** Uncompressed size of one entry of a zip file, from its central directory. */
function bundledSize(zipFile: string, entry: string): number {
  const zip = fs.readFileSync(zipFile);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let offset = zip.readUInt32LE(eocd + 16);
  const count = zip.readUInt16LE(eocd + 10);
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (name === entry) return zip.readUInt32LE(offset + 24);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${entry} not in ${zipFile}`);
}

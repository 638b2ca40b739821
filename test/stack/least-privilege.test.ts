/**
 * What each role of the stack and of the owner account may do under a hostile account, asked of
 * the policies as IAM evaluates them (test/stack/iam-evaluation.ts), in the deployments that change
 * them (clusters named, DryRun, a customer key for the table, every optional role created). moto
 * enforces no IAM policy, so this is where the Denies, the UpdateService scope, the list calls'
 * cluster condition, the PutEvents source condition and the trust conditions are checked. The last
 * block mutates the templates, as a careless change would, and shows that these checks catch it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Decision, decide, type Request } from './iam-evaluation';
import { asArray, deployedAs, ensurePackaged, type Json, ROOT, type Template } from './template';

// The framework's own YAML reader: it knows the CloudFormation tags (!Ref, !Sub, !GetAtt...).
const parseFile = require('osls/lib/utils/fs/parse') as (file: string, contents: string) => unknown;
const readYaml = (relative: string) => parseFile(relative, fs.readFileSync(path.join(ROOT, relative), 'utf8')) as Template & Json;

type Cfn = Template & { Parameters?: Json; Conditions?: Json };

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const OWNER = '444455556666';
const ORG = 'o-abcdefghij';
const READERS = `${ACCOUNT},777788889999`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** Every optional role created: forwarding to another region and to a central bus, owners allowed. */
const EVERY_ROLE = {
  ForwardSecretEventsTo: 'us-east-1',
  CentralEventBusArn: 'arn:aws:events:eu-west-1:999999999999:event-bus/central',
  SecretOwners: OWNER,
};
const FUNCTION_ROLES = ['OnSecretChangeRole', 'RedeploySecretRole', 'RefreshIndexRole'];
const REDEPLOYING = ['OnSecretChangeRole', 'RedeploySecretRole'];
const EVENTBRIDGE_ROLES = ['ForwardSecretEventsRole', 'ForwardToCentralBusRole'];
/** The role EventBridge Scheduler runs the one-time reconciles as (infra/iam.yml WakeupRole): nothing decrypted at all. */
const SCHEDULER_ROLES = ['WakeupRole'];

let packaged: Cfn;
let owner: Cfn;

beforeAll(() => {
  packaged = ensurePackaged().updateTemplate as Cfn;
  owner = readYaml('infra/organization/owner-account.yml');
}, 180_000);

/** The stack's resources as deployed in ACCOUNT / REGION with these parameters. */
const stack = (parameters: Record<string, string> = {}, template: Cfn = packaged) =>
  deployedAs(template, { region: REGION, account: ACCOUNT, parameters: { ...EVERY_ROLE, ...parameters } });
/** The owner account's resources, deployed in OWNER. */
const ownerStack = (parameters: Record<string, string> = {}, template: Cfn = owner) =>
  deployedAs(template, {
    region: REGION,
    account: OWNER,
    parameters: { OrganizationId: ORG, ReaderAccounts: READERS, ConsumerAccounts: ACCOUNT, ...parameters },
  });

/** The statements of a role's permission policies (every one of them), or of its trust policy. */
function permissions(resources: Template['Resources'], roleId: string): Json[] {
  const role = resources[roleId];
  if (!role) throw new Error(`no role ${roleId} in this deployment`);
  return ((role.Properties?.Policies as Array<{ PolicyDocument: { Statement: Json[] } }>) ?? []).flatMap((p) =>
    asArray(p.PolicyDocument.Statement),
  );
}
function trust(resources: Template['Resources'], roleId: string): Json[] {
  const document = resources[roleId].Properties?.AssumeRolePolicyDocument as { Statement: Json[] } | undefined;
  return asArray(document?.Statement);
}
const rolesOf = (resources: Template['Resources']) =>
  Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([id]) => id)
    .sort();

const service = (cluster: string, name = 'orders-api', account = ACCOUNT, region = REGION) =>
  `arn:aws:ecs:${region}:${account}:service/${cluster}/${name}`;
const clusterArn = (cluster: string, account = ACCOUNT) => `arn:aws:ecs:${REGION}:${account}:cluster/${cluster}`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${OWNER}:secret:shared/db-AbCdEf`;
const PARAMETER = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/prod/db`;

/** What a secret resource policy (or any other grant) that gives the whole organization everything adds. */
const GRANTED_EVERYTHING: Json = { Effect: 'Allow', Action: '*', Resource: '*' };

/** The value reads that must be explicitly denied to a role, whatever else grants them. */
const VALUE_READS: Request[] = [
  { action: 'secretsmanager:GetSecretValue', resource: SECRET },
  { action: 'secretsmanager:BatchGetSecretValue', resource: '*' },
  ...['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory'].map((a) => ({
    action: `ssm:${a}`,
    resource: PARAMETER,
  })),
  { action: 'kms:Decrypt', resource: KEY },
  ...['secretsmanager', 'ssm', 'sqs', 's3'].map((s) => ({
    action: 'kms:Decrypt',
    resource: KEY,
    context: { 'kms:ViaService': `${s}.${REGION}.amazonaws.com` },
  })),
];

/**
 * Every (role, value read) that is not explicitly denied to a role of these resources, even with
 * a grant of everything beside the role's own policies: empty when "never values" holds by an
 * explicit Deny, not by omission.
 */
function valueReadGaps(resources: Template['Resources']): string[] {
  return rolesOf(resources).flatMap((roleId) => {
    const statements = [...permissions(resources, roleId), GRANTED_EVERYTHING];
    return VALUE_READS.filter((r) => decide(statements, r) !== 'explicitly denied').map(
      (r) => `${roleId}: ${r.action}${r.context ? ` via ${r.context['kms:ViaService']}` : ''}`,
    );
  });
}

/** A service in a cluster with these tags, as UpdateService's request context shows them. */
const update = (cluster: string, tags: Record<string, string> = {}, arn = service(cluster)): Request => ({
  action: 'ecs:UpdateService',
  resource: arn,
  context: {
    'ecs:cluster': arn.includes(`:${ACCOUNT}:`) ? clusterArn(cluster) : clusterArn(cluster, OWNER),
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
  },
});
const IGNORE = 'ecs-secret-redeploy:ignore';

/**
 * The UpdateService requests whose decision is not the expected one for a redeploying role, given
 * the clusters it manages (`every`: the clusters parameter empty): the managed clusters' services
 * allowed (untagged, or tagged ignore=false), every opted-out service explicitly denied whatever
 * the tag's value, `other` denied unless every cluster is managed, other accounts and regions denied.
 */
function updateServiceGaps(resources: Template['Resources'], managed: string[], other: string, every = false): string[] {
  const expectations: Array<[string, Request, Decision]> = [
    ...managed.map((c): [string, Request, Decision] => [`${c}, untagged`, update(c), 'allowed']),
    ...managed.map((c): [string, Request, Decision] => [`${c}, ${IGNORE}=false`, update(c, { [IGNORE]: 'false' }), 'allowed']),
    ...['true', '', 'False', 'yes', ' false'].map((v): [string, Request, Decision] => [
      `${managed[0]}, ${IGNORE}="${v}"`,
      update(managed[0], { [IGNORE]: v }),
      'explicitly denied',
    ]),
    [`${other}${every ? '' : ' (not managed)'}`, update(other), every ? 'allowed' : 'implicitly denied'],
    ['another account', update(managed[0], {}, service(managed[0], 'x', OWNER)), 'implicitly denied'],
    ['another region', update(managed[0], {}, service(managed[0], 'x', ACCOUNT, 'us-east-1')), 'implicitly denied'],
  ];
  return REDEPLOYING.flatMap((roleId) =>
    expectations
      .map(([what, request, expected]) => ({ what, expected, got: decide(permissions(resources, roleId), request) }))
      .filter((e) => e.got !== e.expected)
      .map((e) => `${roleId}: UpdateService on ${e.what} is ${e.got}, not ${e.expected}`),
  );
}

describe('never a value: an explicit Deny in every role, whatever else grants it', () => {
  it('covers every role the stack can create, and both roles of the owner account', () => {
    expect(rolesOf(stack())).toEqual([...FUNCTION_ROLES, ...EVENTBRIDGE_ROLES, ...SCHEDULER_ROLES].sort());
    expect(rolesOf(ownerStack())).toEqual(['ReadRole', 'SendRole']);
  });

  it.each([
    ['the stack, every optional role created', () => stack()],
    ['the stack with a customer key for its table', () => stack({ TableEncryption: KEY })],
    ['the stack in dry run, clusters named', () => stack({ DryRun: 'true', Clusters: 'prod-a' })],
    ['the owner account', () => ownerStack()],
    ['the owner account, shared secrets only', () => ownerStack({ SharedSecretsOnly: 'true' })],
  ])('%s: GetSecretValue, BatchGetSecretValue, ssm:GetParameter* and kms:Decrypt are denied', (_, resources) => {
    expect(valueReadGaps(resources())).toEqual([]);
  });

  it('leaves kms:Decrypt through DynamoDB and Lambda to the functions, through EventBridge to its roles, to none of the owner roles', () => {
    const via = (s: string): Request => ({
      action: 'kms:Decrypt',
      resource: KEY,
      context: { 'kms:ViaService': `${s}.${REGION}.amazonaws.com` },
    });
    const resources = stack();
    for (const roleId of FUNCTION_ROLES) {
      const statements = [...permissions(resources, roleId), GRANTED_EVERYTHING];
      expect({ roleId, dynamodb: decide(statements, via('dynamodb')), lambda: decide(statements, via('lambda')) }).toEqual({
        roleId,
        dynamodb: 'allowed',
        lambda: 'allowed',
      });
      expect({ roleId, events: decide(statements, via('events')) }).toEqual({ roleId, events: 'explicitly denied' });
    }
    for (const roleId of EVENTBRIDGE_ROLES) {
      const statements = [...permissions(resources, roleId), GRANTED_EVERYTHING];
      expect({ roleId, events: decide(statements, via('events')), dynamodb: decide(statements, via('dynamodb')) }).toEqual({
        roleId,
        events: 'allowed',
        dynamodb: 'explicitly denied',
      });
    }
    for (const roleId of SCHEDULER_ROLES) {
      const statements = [...permissions(resources, roleId), GRANTED_EVERYTHING];
      expect(['dynamodb', 'lambda', 'events', 'scheduler'].map((s) => decide(statements, via(s)))).toEqual(
        Array(4).fill('explicitly denied'),
      );
    }
    const read = [...permissions(ownerStack(), 'ReadRole'), GRANTED_EVERYTHING];
    expect(['dynamodb', 'lambda', 'events', 'secretsmanager'].map((s) => decide(read, via(s)))).toEqual(Array(4).fill('explicitly denied'));
  });

  it('still lets each role make the calls it is for (the Denies take nothing it needs)', () => {
    const resources = stack();
    const allowed = (roleId: string, request: Request) => decide(permissions(resources, roleId), request);
    for (const roleId of FUNCTION_ROLES) {
      expect(
        allowed(roleId, {
          action: 'secretsmanager:DescribeSecret',
          resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:x-AbCdEf`,
        }),
      ).toBe('allowed');
      expect(allowed(roleId, { action: 'ssm:DescribeParameters', resource: '*' })).toBe('allowed');
    }
    const read = permissions(ownerStack(), 'ReadRole');
    expect(
      decide(read, { action: 'secretsmanager:ListSecretVersionIds', resource: `arn:aws:secretsmanager:${REGION}:${OWNER}:secret:x` }),
    ).toBe('allowed');
  });
});

describe('UpdateService: the configured clusters, never an opted-out service, never in a dry run', () => {
  it('every cluster of this account and region by default; any opted-out service denied (the tag read as eligibility.ts reads it)', () => {
    expect(updateServiceGaps(stack(), ['prod-a', 'anything'], 'other', true)).toEqual([]);
  });

  it("the named clusters only, given by name or by ARN; another cluster's service is not allowed", () => {
    const resources = stack({ Clusters: `prod-a,${clusterArn('prod-b')}` });
    expect(updateServiceGaps(resources, ['prod-a', 'prod-b'], 'prod-c')).toEqual([]);
    // A cluster whose name contains a managed one is another cluster.
    expect(decide(permissions(resources, 'OnSecretChangeRole'), update('prod-a-shadow'))).toBe('implicitly denied');
  });

  it('in a dry run, no role may call it, whatever the payload says', () => {
    for (const clusters of ['', 'prod-a']) {
      const resources = stack({ DryRun: 'true', Clusters: clusters });
      for (const roleId of rolesOf(resources))
        expect({ roleId, clusters, decision: decide(permissions(resources, roleId), update('prod-a')) }).toEqual({
          roleId,
          clusters,
          decision: 'implicitly denied',
        });
    }
  });

  it('refresh-index and the EventBridge roles are never allowed it', () => {
    const resources = stack();
    for (const roleId of ['RefreshIndexRole', ...EVENTBRIDGE_ROLES])
      expect({ roleId, decision: decide(permissions(resources, roleId), update('prod-a')) }).toEqual({
        roleId,
        decision: 'implicitly denied',
      });
  });
});

describe('CodeDeploy: CreateDeployment on deployment groups only, never when turned off or in a dry run', () => {
  const codeDeploy = (resource: string, account = ACCOUNT, region = REGION) => `arn:aws:codedeploy:${region}:${account}:${resource}`;
  const GROUP = codeDeploy('deploymentgroup:AppECS-prod-api/DgpECS-prod-api');
  const create = (resource = GROUP): Request => ({ action: 'codedeploy:CreateDeployment', resource });
  /** What a redeploy through CodeDeploy calls beside CreateDeployment (the reads CodeDeploy makes for its caller). */
  const DEPENDENCIES: Request[] = [
    { action: 'codedeploy:GetDeploymentConfig', resource: codeDeploy('deploymentconfig:CodeDeployDefault.ECSAllAtOnce') },
    { action: 'codedeploy:GetApplicationRevision', resource: codeDeploy('application:AppECS-prod-api') },
    { action: 'codedeploy:RegisterApplicationRevision', resource: codeDeploy('application:AppECS-prod-api') },
  ];
  /** The reads: finding a service's group, a lost answer's deployment, the poll and the events' confirmation. */
  const READS: Request[] = [
    { action: 'codedeploy:ListApplications', resource: '*' },
    { action: 'codedeploy:BatchGetApplications', resource: codeDeploy('application:AppECS-prod-api') },
    { action: 'codedeploy:ListDeploymentGroups', resource: codeDeploy('application:AppECS-prod-api') },
    ...['BatchGetDeploymentGroups', 'ListDeployments', 'BatchGetDeployments'].map((a) => ({ action: `codedeploy:${a}`, resource: GROUP })),
  ];
  const decisions = (resources: Template['Resources'], roleId: string, requests: Request[]) =>
    requests.map((r) => `${r.action} ${decide(permissions(resources, roleId), r)}`);

  it('the redeploying roles may create a deployment in a group of this account and region, and nothing else of CodeDeploy', () => {
    const resources = stack();
    for (const roleId of REDEPLOYING) {
      expect(decisions(resources, roleId, [create(), ...DEPENDENCIES, ...READS])).toEqual(
        [create(), ...DEPENDENCIES, ...READS].map((r) => `${r.action} allowed`),
      );
      for (const elsewhere of [
        create(codeDeploy('application:AppECS-prod-api')),
        create(codeDeploy('deploymentgroup:AppECS-prod-api/DgpECS-prod-api', OWNER)),
        create(codeDeploy('deploymentgroup:AppECS-prod-api/DgpECS-prod-api', ACCOUNT, 'us-east-1')),
        { action: 'codedeploy:StopDeployment', resource: '*' },
        { action: 'codedeploy:ContinueDeployment', resource: '*' },
        { action: 'codedeploy:UpdateDeploymentGroup', resource: GROUP },
        // The group's own service role acts for CodeDeploy: the caller passes none.
        { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/ecsCodeDeployRole` },
      ])
        expect({ roleId, request: elsewhere, decision: decide(permissions(resources, roleId), elsewhere) }).toEqual({
          roleId,
          request: elsewhere,
          decision: 'implicitly denied',
        });
    }
  });

  it('with CodeDeploy redeploys turned off, or in a dry run, no role may create one; the reads stay (status, the poll of a deployment made before)', () => {
    for (const parameters of [{ CodeDeployRedeploys: 'false' }, { DryRun: 'true' }] as Array<Record<string, string>>) {
      const resources = stack(parameters);
      for (const roleId of REDEPLOYING) {
        expect({ parameters, roleId, decisions: decisions(resources, roleId, [create(), ...DEPENDENCIES]) }).toEqual({
          parameters,
          roleId,
          decisions: [create(), ...DEPENDENCIES].map((r) => `${r.action} implicitly denied`),
        });
        expect(decisions(resources, roleId, READS)).toEqual(READS.map((r) => `${r.action} allowed`));
      }
    }
  });

  it('refresh-index and the EventBridge roles are never allowed anything of CodeDeploy', () => {
    const resources = stack();
    for (const roleId of ['RefreshIndexRole', ...EVENTBRIDGE_ROLES])
      expect(decisions(resources, roleId, [create(), ...READS]).filter((d) => !d.endsWith('implicitly denied'))).toEqual([]);
  });

  it('the parameter takes true or false, true by default', () => {
    const parameter = (packaged.Parameters?.CodeDeployRedeploys ?? {}) as Json;
    expect(parameter).toMatchObject({ Type: 'String', Default: 'true', AllowedValues: ['true', 'false'] });
  });
});

describe('list calls, PutEvents and the table key', () => {
  const list = (action: string, cluster: string): Request => ({ action, resource: '*', context: { 'ecs:cluster': cluster } });

  it('ListServices and ListTasks only in the configured clusters; ListClusters only when every cluster is managed', () => {
    const named = stack({ Clusters: `prod-a,${clusterArn('prod-b')}` });
    const every = stack();
    for (const roleId of FUNCTION_ROLES) {
      for (const action of ['ecs:ListServices', 'ecs:ListTasks']) {
        expect(decide(permissions(named, roleId), list(action, clusterArn('prod-a')))).toBe('allowed');
        expect(decide(permissions(named, roleId), list(action, clusterArn('prod-b')))).toBe('allowed');
        expect(decide(permissions(named, roleId), list(action, clusterArn('prod-c')))).toBe('implicitly denied');
        expect(decide(permissions(every, roleId), list(action, clusterArn('prod-c')))).toBe('allowed');
      }
      expect(decide(permissions(named, roleId), { action: 'ecs:ListClusters', resource: '*' })).toBe('implicitly denied');
      expect(decide(permissions(every, roleId), { action: 'ecs:ListClusters', resource: '*' })).toBe('allowed');
    }
  });

  it("PutEvents carries each role's own source only", () => {
    const resources = stack();
    const put = (bus: string, source: string): Request => ({
      action: 'events:PutEvents',
      resource: bus,
      context: { 'events:source': source },
    });
    const notificationBus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
    for (const roleId of REDEPLOYING) {
      expect(decide(permissions(resources, roleId), put(notificationBus, 'ecs-secret-redeploy'))).toBe('allowed');
      expect(decide(permissions(resources, roleId), put(notificationBus, 'aws.secretsmanager'))).toBe('implicitly denied');
      expect(decide(permissions(resources, roleId), { action: 'events:PutEvents', resource: notificationBus })).toBe('implicitly denied');
    }
    const otherRegion = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`;
    expect(decide(permissions(resources, 'ForwardSecretEventsRole'), put(otherRegion, 'aws.ssm'))).toBe('allowed');
    expect(decide(permissions(resources, 'ForwardSecretEventsRole'), put(otherRegion, 'ecs-secret-redeploy'))).toBe('implicitly denied');
    const central = EVERY_ROLE.CentralEventBusArn;
    expect(decide(permissions(resources, 'ForwardToCentralBusRole'), put(central, 'ecs-secret-redeploy'))).toBe('allowed');
    expect(decide(permissions(resources, 'ForwardToCentralBusRole'), put(central, 'aws.secretsmanager'))).toBe('implicitly denied');
    const consumerBus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
    expect(decide(permissions(ownerStack(), 'SendRole'), put(consumerBus, 'aws.secretsmanager'))).toBe('allowed');
    expect(decide(permissions(ownerStack(), 'SendRole'), put(consumerBus, 'ecs-secret-redeploy'))).toBe('implicitly denied');
  });

  it('a customer key for the table: the functions may use that key through DynamoDB only; the table is encrypted with it', () => {
    const resources = stack({ TableEncryption: KEY });
    const throughDynamo = { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` };
    for (const roleId of FUNCTION_ROLES) {
      const statements = permissions(resources, roleId);
      for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'])
        expect({ roleId, action, decision: decide(statements, { action, resource: KEY, context: throughDynamo }) }).toEqual({
          roleId,
          action,
          decision: 'allowed',
        });
      expect(decide(statements, { action: 'kms:Decrypt', resource: KEY })).toBe('explicitly denied');
      expect(decide(statements, { action: 'kms:Encrypt', resource: KEY })).toBe('implicitly denied');
      expect(decide(statements, { action: 'kms:Decrypt', resource: `${KEY}0`, context: throughDynamo })).toBe('implicitly denied');
      // No customer key: no kms permission at all.
      expect(decide(permissions(stack(), roleId), { action: 'kms:Decrypt', resource: KEY, context: throughDynamo })).toBe(
        'implicitly denied',
      );
    }
    expect(resources.StateTable.Properties?.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY });
    expect(stack({ TableEncryption: 'aws-managed' }).StateTable.Properties?.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(stack().StateTable.Properties).not.toHaveProperty('SSESpecification');
    expect(stack().StateTable.Properties?.DeletionProtectionEnabled).toBe(false);
    expect(stack({ TableDeletionProtection: 'true' }).StateTable.Properties?.DeletionProtectionEnabled).toBe(true);
  });

  it('the table parameters take only what DynamoDB and KMS accept, with safe defaults', () => {
    const parameters = packaged.Parameters as Record<string, { Default?: string; AllowedPattern?: string; AllowedValues?: string[] }>;
    expect(parameters.TableEncryption.Default).toBe('aws-owned');
    expect(parameters.TableDeletionProtection).toMatchObject({ Default: 'false', AllowedValues: ['true', 'false'] });
    const key = new RegExp(parameters.TableEncryption.AllowedPattern ?? '');
    for (const ok of ['aws-owned', 'aws-managed', KEY, 'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd'])
      expect({ ok, matches: key.test(ok) }).toEqual({ ok, matches: true });
    for (const bad of ['', 'aws/dynamodb', 'alias/mine', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/mine`, `${KEY},${KEY}`, '*'])
      expect({ bad, matches: key.test(bad) }).toEqual({ bad, matches: false });
    const clusters = new RegExp((packaged.Parameters as Record<string, { AllowedPattern: string }>).Clusters.AllowedPattern);
    for (const ok of ['', 'prod-a', 'prod-a,prod_b', clusterArn('prod-a'), `prod-a,${clusterArn('prod-b')}`])
      expect({ ok, matches: clusters.test(ok) }).toEqual({ ok, matches: true });
    // A wildcard would widen the ecs:cluster condition; a space would name no cluster.
    for (const bad of ['*', 'prod-*', 'prod-a, prod-b', ',prod-a', 'prod-a,', 'arn:aws:ecs:eu-west-1:1:cluster/x'])
      expect({ bad, matches: clusters.test(bad) }).toEqual({ bad, matches: false });
  });
});

describe('trust: each role names who may take it on', () => {
  const assume = (principal: Request['principal'], context: Record<string, string> = {}): Request => ({
    principal,
    action: 'sts:AssumeRole',
    context,
  });

  it('the function roles: Lambda only (Lambda gives no aws:SourceArn for an execution role: checked as written)', () => {
    const resources = stack();
    for (const roleId of FUNCTION_ROLES)
      expect(trust(resources, roleId)).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
  });

  it.each([
    ['ForwardSecretEventsRole', () => stack(), ACCOUNT, 'ecs-secret-redeploy-ci-forward-secret-api-call'],
    ['ForwardToCentralBusRole', () => stack(), ACCOUNT, 'ecs-secret-redeploy-ci-forward-to-central-bus'],
    ['SendRole', () => ownerStack(), OWNER, 'ecs-secret-redeploy-owner-parameter-change'],
  ])('%s: EventBridge, for its own rules only (aws:SourceArn)', (roleId, resources, account, rule) => {
    const statements = trust(resources(), roleId);
    const events = { Service: 'events.amazonaws.com' };
    const from = (name: string, acct = account) => ({
      'aws:SourceArn': `arn:aws:events:${REGION}:${acct}:rule/${name}`,
      'aws:SourceAccount': acct,
    });
    expect(decide(statements, assume(events, from(rule)))).toBe('allowed');
    expect(decide(statements, assume(events, from('someone-elses-rule')))).toBe('implicitly denied');
    expect(decide(statements, assume(events, from(rule, '999999999999')))).toBe('implicitly denied');
    expect(decide(statements, assume(events, { 'aws:SourceAccount': account }))).toBe('implicitly denied');
    expect(decide(statements, assume({ Service: 'lambda.amazonaws.com' }, from(rule)))).toBe('implicitly denied');
  });

  it('the owner read role: the function roles of the named reader accounts, in the organization', () => {
    const statements = trust(ownerStack(), 'ReadRole');
    const role = (account: string, rolePath: string, org = ORG) =>
      assume({ AWS: account }, { 'aws:PrincipalOrgID': org, 'aws:PrincipalArn': `arn:aws:iam::${account}:role${rolePath}` });
    expect(decide(statements, role(ACCOUNT, '/ecs-secret-redeploy/ecs-secret-redeploy-prod-OnSecretChangeRole-AbC'))).toBe('allowed');
    expect(decide(statements, role('777788889999', '/ecs-secret-redeploy/x'))).toBe('allowed');
    // A member account not named, though its role has the expected path and is in the organization.
    expect(decide(statements, role('123412341234', '/ecs-secret-redeploy/x'))).toBe('implicitly denied');
    expect(decide(statements, role(ACCOUNT, '/admin'))).toBe('implicitly denied');
    expect(decide(statements, role(ACCOUNT, '/ecs-secret-redeploy/x', 'o-otherorgxyz'))).toBe('implicitly denied');
    // Naming the readers is required: no default, and an empty list is refused.
    const readers = (owner.Parameters as Record<string, { Default?: string; AllowedPattern: string }>).ReaderAccounts;
    expect(readers.Default).toBeUndefined();
    expect(new RegExp(readers.AllowedPattern).test('')).toBe(false);
  });

  it('the owner read role, SharedSecretsOnly: only the secrets tagged ecs-secret-redeploy:shared = true', () => {
    const statements = permissions(ownerStack({ SharedSecretsOnly: 'true' }), 'ReadRole');
    const describe = (tags: Record<string, string>) => ({
      action: 'secretsmanager:DescribeSecret',
      resource: SECRET,
      context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
    });
    expect(decide(statements, describe({ 'ecs-secret-redeploy:shared': 'true' }))).toBe('allowed');
    expect(decide(statements, describe({ 'ecs-secret-redeploy:shared': 'false' }))).toBe('implicitly denied');
    expect(decide(statements, describe({}))).toBe('implicitly denied');
    expect(decide(permissions(ownerStack(), 'ReadRole'), describe({}))).toBe('allowed');
  });
});

describe('the checks fail when a change removes a Deny or widens a grant', () => {
  /** The packaged template with one role's statements edited (as the packaged JSON holds every anchor expanded). */
  function edited(
    template: Cfn,
    roleId: string,
    edit: (policies: Array<{ PolicyName: string; PolicyDocument: { Statement: Json[] } }>) => void,
  ): Cfn {
    const copy = structuredClone(template);
    edit(copy.Resources[roleId].Properties?.Policies as Array<{ PolicyName: string; PolicyDocument: { Statement: Json[] } }>);
    return copy;
  }
  const withoutSid = (sid: string) => (policies: Array<{ PolicyDocument: { Statement: Json[] } }>) => {
    for (const p of policies) p.PolicyDocument.Statement = p.PolicyDocument.Statement.filter((s) => s.Sid !== sid);
  };

  it('the never-values policy of one function role removed', () => {
    const changed = edited(packaged, 'RedeploySecretRole', (policies) => {
      policies.splice(
        policies.findIndex((p) => p.PolicyName === 'never-values'),
        1,
      );
    });
    const gaps = valueReadGaps(stack({}, changed));
    expect(gaps).toContain('RedeploySecretRole: secretsmanager:GetSecretValue');
    expect(gaps).toContain('RedeploySecretRole: kms:Decrypt via secretsmanager.eu-west-1.amazonaws.com');
    expect(gaps.every((g) => g.startsWith('RedeploySecretRole: '))).toBe(true);
  });

  it("the owner read role's Deny of values removed, or its kms:Decrypt Deny given an exception", () => {
    expect(valueReadGaps(ownerStack({}, edited(owner, 'ReadRole', withoutSid('NoSecretOrParameterValues'))))).toEqual([
      'ReadRole: secretsmanager:GetSecretValue',
      'ReadRole: secretsmanager:BatchGetSecretValue',
      'ReadRole: ssm:GetParameter',
      'ReadRole: ssm:GetParameters',
      'ReadRole: ssm:GetParametersByPath',
      'ReadRole: ssm:GetParameterHistory',
    ]);
    const viaSecretsManager = edited(owner, 'ReadRole', (policies) => {
      const deny = policies[0].PolicyDocument.Statement.find((s) => s.Sid === 'NoDecrypt') as Json;
      deny.Condition = { StringNotEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } };
    });
    expect(valueReadGaps(ownerStack({}, viaSecretsManager))).toEqual(['ReadRole: kms:Decrypt via secretsmanager.eu-west-1.amazonaws.com']);
  });

  it("an EventBridge role's Deny removed", () => {
    const changed = edited(packaged, 'ForwardSecretEventsRole', withoutSid('NoSecretOrParameterValues'));
    expect(valueReadGaps(stack({}, changed))).toContain('ForwardSecretEventsRole: ssm:GetParametersByPath');
  });

  it('the opt-out Deny removed, or the cluster condition dropped', () => {
    const noOptOut = edited(packaged, 'OnSecretChangeRole', withoutSid('NeverRedeployServicesThatOptedOut'));
    expect(updateServiceGaps(stack({}, noOptOut), ['prod-a'], 'other', true)).toEqual(
      ['true', '', 'False', 'yes', ' false'].map(
        (v) => `OnSecretChangeRole: UpdateService on prod-a, ${IGNORE}="${v}" is allowed, not explicitly denied`,
      ),
    );
    const everyCluster = edited(packaged, 'RedeploySecretRole', (policies) => {
      const redeploy = policies[0].PolicyDocument.Statement.find((s) =>
        JSON.stringify(s).includes('RedeployServicesOfTheConfiguredClusters'),
      ) as Json;
      const [, , allow] = redeploy['Fn::If'] as [string, Json, Json];
      delete allow.Condition;
    });
    expect(updateServiceGaps(stack({ Clusters: 'prod-a' }, everyCluster), ['prod-a'], 'prod-c')).toEqual([
      'RedeploySecretRole: UpdateService on prod-c (not managed) is allowed, not implicitly denied',
    ]);
  });

  it('CreateDeployment kept with CodeDeploy redeploys turned off', () => {
    const keptWhenOff = edited(packaged, 'OnSecretChangeRole', (policies) => {
      const statements = policies[0].PolicyDocument.Statement;
      const i = statements.findIndex((s) => JSON.stringify(s).includes('RedeployThroughCodeDeployGroups'));
      statements[i] = (statements[i]['Fn::If'] as Json[])[1] as Json;
    });
    const group = 'arn:aws:codedeploy:eu-west-1:111122223333:deploymentgroup:App/Group';
    expect(
      decide(permissions(stack({ CodeDeployRedeploys: 'false' }, keptWhenOff), 'OnSecretChangeRole'), {
        action: 'codedeploy:CreateDeployment',
        resource: group,
      }),
    ).toBe('allowed');
  });

  it('UpdateService kept in a dry run', () => {
    const keptInDryRun = edited(packaged, 'RedeploySecretRole', (policies) => {
      const statements = policies[0].PolicyDocument.Statement;
      const i = statements.findIndex((s) => JSON.stringify(s).includes('RedeployServicesOfTheConfiguredClusters'));
      statements[i] = (statements[i]['Fn::If'] as Json[])[2] as Json;
    });
    expect(decide(permissions(stack({ DryRun: 'true' }, keptInDryRun), 'RedeploySecretRole'), update('prod-a'))).toBe('allowed');
  });
});

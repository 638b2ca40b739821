/**
 * Secrets owned by another account, as templates: the owner side (infra/organization/owner-account.yml,
 * and owner-stackset.yml that deploys it to the owner accounts) and the consumer side of the packaged
 * stack (infra/secret-owners.yml's bus policy, iam.yml's ReadOwnerSecrets). What each role may do
 * is checked here, because moto enforces no IAM policy: test/integration/owner-account.test.ts
 * runs the same flow against moto's accounts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asArray, ensurePackaged, type Json, policyStatements, ROOT, type Template } from './template';

// The framework's own YAML reader: it knows the CloudFormation tags (!Ref, !Sub, !GetAtt...).
const parseFile = require('osls/lib/utils/fs/parse') as (file: string, contents: string) => unknown;
const readYaml = (relative: string) => parseFile(relative, fs.readFileSync(path.join(ROOT, relative), 'utf8')) as Template & Json;

const OWNER_TEMPLATE = 'infra/organization/owner-account.yml';
const OWNER_STACKSET = 'infra/organization/owner-stackset.yml';
const PATTERNS = ['secretsmanager-api-call', 'secretsmanager-service-events', 'secretsmanager-label-updated', 'ssm-parameter-change'];
const FUNCTION_ROLES = ['OnSecretChangeRole', 'RedeploySecretRole', 'RefreshIndexRole'];

let owner: Template & Json;
let packaged: Template;

beforeAll(() => {
  owner = readYaml(OWNER_TEMPLATE);
  packaged = ensurePackaged().updateTemplate;
}, 180_000);

const props = (template: Template, id: string) => template.Resources[id]?.Properties as Json;
const actionsOf = (statement: Json) => asArray(statement.Action as string | string[]).map((a) => a.toLowerCase());
const readsValues = (action: string) =>
  action === 'secretsmanager:getsecretvalue' || action === 'secretsmanager:batchgetsecretvalue' || action.startsWith('ssm:getparameter');

describe('cfn-lint', () => {
  it.each([OWNER_TEMPLATE, OWNER_STACKSET])('is clean on %s', (file) => {
    const run = spawnSync('cfn-lint', [file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (run.error) throw new Error(`cannot run cfn-lint (pip install cfn-lint): ${run.error.message}`);
    expect({ file, status: run.status, output: `${run.stdout}${run.stderr}`.trim() }).toEqual({ file, status: 0, output: '' });
  });
});

describe('the owner account (owner-account.yml)', () => {
  it('grants no value anywhere: no GetSecretValue, no GetParameter*, no kms, no wildcard action', () => {
    const statements = policyStatements(owner).filter((s) => s.statement.Effect === 'Allow');
    expect(statements.length).toBeGreaterThan(4);
    for (const { where, statement } of statements) {
      for (const action of actionsOf(statement)) {
        expect({ where, action, readsValues: readsValues(action), kms: action.startsWith('kms:') }).toEqual({
          where,
          action,
          readsValues: false,
          kms: false,
        });
        if (!where.includes('DeadLetterQueuePolicy'))
          expect({ where, action }).toEqual({ where, action: expect.not.stringContaining('*') });
      }
    }
  });

  it("the read role may describe the account's secrets and parameters, nothing else", () => {
    const role = props(owner, 'ReadRole');
    expect(owner.Resources.ReadRole.Condition).toBe('CreateReadRole');
    expect(role.RoleName).toEqual({ Ref: 'ReadRoleName' });
    const allowed = policyStatements({ Resources: { ReadRole: owner.Resources.ReadRole } })
      .filter((s) => !s.where.includes('AssumeRolePolicyDocument') && s.statement.Effect === 'Allow')
      .map((s) => ({ actions: actionsOf(s.statement).sort(), resource: s.statement.Resource }));
    expect(allowed).toEqual([
      {
        actions: ['secretsmanager:describesecret', 'secretsmanager:listsecretversionids'],
        resource: { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:*:${AWS::AccountId}:secret:*' },
      },
      { actions: ['ssm:describeparameters'], resource: '*' },
    ]);
    // With SharedSecretsOnly, only the secrets carrying the sharing tag (what IAM decides: least-privilege.test.ts).
    const [describe] = ((props(owner, 'ReadRole').Policies as Json[])[0].PolicyDocument as { Statement: Json[] }).Statement;
    expect(describe.Condition).toEqual({
      'Fn::If': ['OnlySharedSecrets', { StringEquals: { 'aws:ResourceTag/ecs-secret-redeploy:shared': 'true' } }, { Ref: 'AWS::NoValue' }],
    });
  });

  it("the read role trusts only the service's function roles of the named reader accounts, in the organization", () => {
    const trust = policyStatements({ Resources: { ReadRole: owner.Resources.ReadRole } }).filter((s) =>
      s.where.includes('AssumeRolePolicyDocument'),
    );
    expect(trust).toHaveLength(1);
    const { statement } = trust[0];
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Split': [',', { Ref: 'ReaderAccounts' }] } },
      Action: 'sts:AssumeRole',
    });
    expect(statement.Condition).toEqual({
      StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } },
      ArnLike: { 'aws:PrincipalArn': { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/ecs-secret-redeploy/*' } },
    });
    // The consumers' function roles sit under that path.
    for (const id of FUNCTION_ROLES) expect(props(packaged, id).Path).toBe('/ecs-secret-redeploy/');
  });

  it("sends every change of its secrets and parameters to each consumer account's default bus, directly, with the consumers' patterns", () => {
    const rules = Object.entries(owner.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
    const patterns = rules.map(([, r]) => (r.Properties as Json).EventPattern);
    expect(patterns).toEqual(
      PATTERNS.map((p) => JSON.parse(fs.readFileSync(path.join(ROOT, 'infra/event-patterns', `${p}.json`), 'utf8'))),
    );
    for (const [, rule] of rules) {
      const targets = (rule.Properties as Json).Targets as Array<{ 'Fn::If': [string, Json, Json] }>;
      expect(targets).toHaveLength(5);
      for (const [i, target] of targets.entries()) {
        const [condition, slot, otherwise] = target['Fn::If'];
        expect(condition).toBe(`SendToConsumer${i + 1}`);
        expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
        expect(slot).toMatchObject({
          RoleArn: { 'Fn::GetAtt': ['SendRole', 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        });
        expect(JSON.stringify(slot.Arn)).toContain(':event-bus/default');
      }
    }
    // The sending role may put events on those buses only, and only EventBridge of this account may take it on.
    const send = policyStatements({ Resources: { SendRole: owner.Resources.SendRole } });
    const trust = send.filter((s) => s.where.includes('AssumeRolePolicyDocument')).map((s) => s.statement);
    const rule = (name: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/\${RulePrefix}-${name}`,
    });
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': ['secret-api-call', 'rotation-events', 'secret-label-updated', 'parameter-change'].map(rule) },
        },
      },
    ]);
    // Exactly this template's rules.
    expect(rules.map(([, r]) => (r.Properties as Json).Name)).toEqual(
      ['secret-api-call', 'rotation-events', 'secret-label-updated', 'parameter-change'].map((n) => ({ 'Fn::Sub': `\${RulePrefix}-${n}` })),
    );
    const puts = send
      .filter((s) => !s.where.includes('AssumeRolePolicyDocument') && s.statement.Effect === 'Allow')
      .map((s) => s.statement);
    expect(puts[0].Condition).toEqual({ StringEquals: { 'events:source': ['aws.secretsmanager', 'aws.ssm'] } });
    expect(puts.map(actionsOf)).toEqual([['events:putevents']]);
    const buses = puts[0].Resource as Array<{ 'Fn::If': [string, Json, Json] }>;
    expect(buses.map((b) => JSON.stringify(b['Fn::If'][1]))).toEqual(Array(5).fill(expect.stringContaining(':event-bus/default')));
  });

  it("owner-stackset.yml deploys the release's owner-account.yml to the owner OUs, the read role in the first region only", () => {
    const stackSet = readYaml(OWNER_STACKSET);
    const resource = Object.values(stackSet.Resources).find((r) => r.Type === 'AWS::CloudFormation::StackSet');
    const p = resource?.Properties as Json;
    expect(p).toMatchObject({ PermissionModel: 'SERVICE_MANAGED', CallAs: 'DELEGATED_ADMIN', Capabilities: ['CAPABILITY_NAMED_IAM'] });
    expect(JSON.stringify(p.TemplateURL)).toContain('/owner-account.yml');
    const passed = (p.Parameters as Array<{ ParameterKey: string; ParameterValue: unknown }>).map((x) => x.ParameterKey).sort();
    const declared = Object.keys(owner.Parameters as Json).sort();
    expect(passed).toEqual(declared.filter((n) => n !== 'ConsumerRegion' && n !== 'RulePrefix'));
    expect(p.Parameters).toContainEqual({ ParameterKey: 'ReadRoleRegion', ParameterValue: { 'Fn::Select': [0, { Ref: 'Regions' }] } });
  });
});

describe('a consumer account (the packaged stack)', () => {
  it('admits on its default bus only the allowed owners, and only their secret and parameter change events', () => {
    const policy = packaged.Resources.SecretOwnersMayPutSecretEvents;
    expect(policy.Condition).toBe('HasSecretOwners');
    const statement = (policy.Properties as Json).Statement as Json;
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'events:PutEvents' });
    const [, organization, accounts] = (statement.Principal as { 'Fn::If': [string, unknown, unknown] })['Fn::If'];
    expect(organization).toBe('*');
    expect(accounts).toEqual({ AWS: { 'Fn::Split': [',', { Ref: 'SecretOwners' }] } });
    const [, inOrganization, fromAccounts] = (statement.Condition as { 'Fn::If': [string, Json, Json] })['Fn::If'];
    const sources = ['aws.secretsmanager', 'aws.ssm'];
    expect(inOrganization).toEqual({ StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' }, 'events:source': sources } });
    expect(fromAccounts).toEqual({ StringEquals: { 'events:source': sources } });
  });

  it.each(FUNCTION_ROLES)("%s may assume the owners' read role by name, in the allowed accounts only, and only with owners set", (id) => {
    const statements = (
      (props(packaged, id).Policies as Array<{ PolicyDocument: { Statement: unknown[] } }>)[0].PolicyDocument.Statement as Json[]
    ).filter((s) => JSON.stringify(s).includes('sts:AssumeRole'));
    expect(statements).toHaveLength(1);
    const [condition, statement, otherwise] = (statements[0] as { 'Fn::If': [string, Json, Json] })['Fn::If'];
    expect([condition, otherwise]).toEqual(['HasSecretOwners', { Ref: 'AWS::NoValue' }]);
    expect(statement).toMatchObject({
      Sid: 'ReadOwnerSecrets',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/${OwnerReadRole}' },
    });
    const [, organization, accounts] = (statement.Condition as { 'Fn::If': [string, Json, Json] })['Fn::If'];
    expect(organization).toEqual({ StringEquals: { 'aws:ResourceOrgID': { Ref: 'OrganizationId' } } });
    expect(accounts).toEqual({ StringEquals: { 'aws:ResourceAccount': { 'Fn::Split': [',', { Ref: 'SecretOwners' }] } } });
  });

  it('still grants no value: no GetSecretValue or GetParameter* in any branch of any policy', () => {
    const actions = policyStatements(packaged)
      .filter((s) => s.statement.Effect === 'Allow')
      .flatMap((s) => actionsOf(s.statement));
    expect(actions).toContain('sts:assumerole');
    expect(actions.filter(readsValues)).toEqual([]);
  });
});

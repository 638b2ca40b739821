/**
 * Running the stack in every account and region of an organization (docs/organization.md):
 * - the member template the converter (scripts/org/stackset-template.ts) makes from `osls package`
 *   (the conversion's own rules are unit tests: test/unit/scripts/org/member-template.test.ts):
 *   no deployment bucket, code from the regional artifact bucket, one CloudFormation parameter per
 *   serverless.yml param, no placeholder left, and, parameters at their defaults, exactly the
 *   packaged stack (IAM included);
 * - cfn-lint on the member template and on infra/organization/*.yml (the forwarding fragment is a
 *   serverless resources file, checked for its structure here);
 * - the StackSet of infra/organization/stackset.yml, run against moto: an organization with two
 *   accounts in two OUs, a delegated administrator holding the artifact buckets of two regions, four
 *   stack instances whose resources run with the StackSet's parameters, a per-account override, a
 *   release update, and removal.
 *
 * moto 5.2.1 gaps, read in its source (moto/cloudformation/models.py and responses.py,
 * moto/organizations/models.py, moto/awslambda/models.py), and what this test does about each:
 * - CreateStackSet ignores CallAs, AutoDeployment and ManagedExecution (create_stack_set's docstring;
 *   DescribeStackSet always answers ManagedExecution {Active: false}), and nothing deploys to an
 *   account that joins an OU later: these properties are asserted on stackset.yml itself.
 * - Service-managed OU targets are resolved in the Organizations backend of the account that owns
 *   the StackSet (StackInstances.org_backend), and RegisterDelegatedAdministrator rejects
 *   member.org.stacksets.cloudformation.amazonaws.com as an unrecognized service principal. A StackSet
 *   created by the delegated administrator would therefore target no account. Substitution: the
 *   StackSet is created by the management account with CallAs SELF; in AWS the delegated
 *   administrator creates it with CallAs DELEGATED_ADMIN (stackset.yml), and AWS stores it in the
 *   management account either way. The artifacts stay in the delegated administrator's buckets.
 * - OU expansion goes one level down (child_ous) and would include the management account if it sat
 *   in a targeted OU; AWS includes every nested OU and never deploys to the management account. The
 *   test targets two leaf OUs and checks the management account got nothing.
 * - UpdateStackInstances and DeleteStackInstances read only the self-managed `Accounts` list and
 *   ignore DeploymentTargets: the test passes `Accounts` where the documented service-managed call
 *   passes `DeploymentTargets: {Accounts}`.
 * - UpdateStackInstances and UpdateStackSet store the new parameters and template but do not update
 *   the instances' stacks: after them, values are asserted on DescribeStackInstance/DescribeStackSet,
 *   not on the resources. (Given `Accounts`, UpdateStackSet would also overwrite instance overrides;
 *   called the service-managed way, with DeploymentTargets, it keeps them, as AWS documents.)
 * - Lambda does not check that the code bucket is in the function's region, nor any bucket policy
 *   (_validate_s3_bucket_and_key: "does not validate bucket region"): one bucket per region is
 *   asserted on the template; moto only proves the object exists under the instance's own region.
 * - A service-managed instance's stack is hidden (absent from DescribeStacks in the member account):
 *   resources are read with clients of each member account (x-moto-account-id).
 * - A Ref to a Number parameter reaches the resource as a number (moto/cloudformation/parsing.py
 *   converts the value), where CloudFormation passes a string: environment values are compared as
 *   strings.
 * - No Organizations client is among the dependencies: the few Organizations calls go to moto as
 *   plain JSON requests.
 */

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DeleteStackInstancesCommand,
  DeleteStackSetCommand,
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackInstancesCommand,
  type Parameter,
  type StackSetOperationPreferences,
  UpdateStackInstancesCommand,
  UpdateStackSetCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { type BucketLocationConstraint, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type CfnTemplate, placeholderPaths } from '../../scripts/org/member-template';
import { type BuildResult, buildMemberTemplate, readServiceConfig } from '../../scripts/org/stackset-template';
import { MOTO_ACCOUNT, MOTO_CLIENT_CONFIG, type MotoServer, startMoto } from '../kit/moto';
import {
  ensurePackaged,
  type Json,
  type Packaged,
  policyStatements,
  REGION,
  ROOT,
  resourcesOfType,
  STAGE,
  type Template,
} from './template';

jest.setTimeout(180_000);

// The framework's own YAML reader: it knows the CloudFormation tags (!Ref, !Sub, !GetAtt...).
const parseFile = require('osls/lib/utils/fs/parse') as (file: string, contents: string) => unknown;
const readYaml = (relative: string) => parseFile(relative, fs.readFileSync(path.join(ROOT, relative), 'utf8')) as CfnTemplate;

const ORG_DIR = 'infra/organization';
const MEMBER_OUT = path.join(ROOT, 'dist/test-org/member-template.json');
const FUNCTIONS = ['on-secret-change', 'redeploy-secret', 'refresh-index'];
const RULES = [
  'secret-api-call',
  'rotation-events',
  'secret-label-updated',
  'parameter-change',
  'deployment-progress',
  'codedeploy-deployment',
  'ecs-deployment',
  'index-rebuild',
  'reconcile',
];

let packaged: Packaged;
let member: BuildResult;

beforeAll(() => {
  packaged = ensurePackaged();
  member = buildMemberTemplate({ root: ROOT, stage: STAGE, region: REGION, out: MEMBER_OUT });
}, 300_000);

describe('the member template', () => {
  it('has no deployment bucket, no policy on it and no output naming it', () => {
    const text = JSON.stringify(member.template);
    expect(text).not.toContain('ServerlessDeploymentBucket');
    expect(resourcesOfType(member.template as Template, 'AWS::S3::Bucket')).toEqual([]);
    expect(resourcesOfType(member.template as Template, 'AWS::S3::BucketPolicy')).toEqual([]);
  });

  it("takes every function's code from the artifact bucket of its own region, under the release prefix", () => {
    const functions = resourcesOfType(member.template as Template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTIONS.length);
    for (const [id, fn] of functions) {
      const file = member.artifacts.find((a) => a.logicalId === id)?.file;
      expect(file).toMatch(/\.zip$/);
      expect(fn.Properties?.Code).toEqual({
        S3Bucket: { 'Fn::Sub': '${ArtifactBucketPrefix}-${AWS::Region}' },
        S3Key: { 'Fn::Sub': `\${ArtifactKeyPrefix}/${file}` },
      });
      // The upload tree holds the zip where the key points, beside the template.
      expect(fs.existsSync(path.join(member.uploadDir, member.artifactKeyPrefix, file as string))).toBe(true);
    }
    expect(fs.readFileSync(path.join(member.uploadDir, member.artifactKeyPrefix, 'member-template.json'), 'utf8')).toBe(
      fs.readFileSync(MEMBER_OUT, 'utf8'),
    );
    expect(member.template.Parameters?.ArtifactKeyPrefix?.Default).toBe(member.artifactKeyPrefix);
    expect(member.template.Parameters?.ArtifactBucketPrefix?.Default).toBeUndefined();
  });

  it('has one CloudFormation parameter per params key of serverless.yml, defaulting to its value', () => {
    const { parameters } = readServiceConfig(ROOT, STAGE);
    expect(parameters.length).toBeGreaterThan(0);
    expect(Object.keys(member.parameterNames).sort()).toEqual(parameters.map((p) => p.key).sort());
    for (const { key, default: value } of parameters) {
      const name = member.parameterNames[key];
      expect(name).toMatch(/^[A-Za-z0-9]+$/);
      expect({ key, Default: member.template.Parameters?.[name]?.Default }).toEqual({ key, Default: value });
    }
    expect(Object.keys(member.template.Parameters ?? {}).sort()).toEqual(
      ['ArtifactBucketPrefix', 'ArtifactKeyPrefix', ...Object.values(member.parameterNames)].sort(),
    );
  });

  it('keeps no placeholder', () => {
    expect(placeholderPaths(member.template)).toEqual([]);
    expect(fs.readFileSync(MEMBER_OUT, 'utf8')).not.toContain('@@org.');
  });

  it('is the packaged stack once every parameter is at its default (roles, rules, table, alarms, outputs)', () => {
    const resolved = atDefaults(member.template);
    const expected = packagedWithoutBucket();
    expect(normalized(withoutCode(resolved.Resources))).toEqual(normalized(withoutCode(expected.Resources)));
    expect(normalized(resolved.Outputs)).toEqual(normalized(expected.Outputs));
  });

  it("grants exactly what the packaged stack grants, the deployment bucket's policy aside", () => {
    const statements = policyStatements(atDefaults(member.template));
    expect(statements.length).toBeGreaterThan(10);
    expect(normalized(statements)).toEqual(normalized(policyStatements(packagedWithoutBucket())));
  });

  function packagedWithoutBucket(): Template {
    const expected = structuredClone(packaged.updateTemplate);
    delete expected.Resources.ServerlessDeploymentBucket;
    delete expected.Resources.ServerlessDeploymentBucketPolicy;
    delete expected.Outputs?.ServerlessDeploymentBucketName;
    return expected;
  }
});

describe('cfn-lint', () => {
  it.each([
    ['the member template', path.relative(ROOT, MEMBER_OUT)],
    ['stackset.yml', `${ORG_DIR}/stackset.yml`],
    ['artifact-buckets.yml', `${ORG_DIR}/artifact-buckets.yml`],
    ['central-bus.yml', `${ORG_DIR}/central-bus.yml`],
  ])('is clean on %s', (_what, file) => {
    const run = spawnSync('cfn-lint', [file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (run.error) throw new Error(`cannot run cfn-lint (pip install cfn-lint): ${run.error.message}`);
    expect({ file, status: run.status, output: `${run.stdout}${run.stderr}`.trim() }).toEqual({ file, status: 0, output: '' });
  });
});

describe('infra/organization', () => {
  it('stackset.yml: service-managed, from the delegated administrator, deploying to new accounts, removing from leavers', () => {
    const props = stackSetResource(readYaml(`${ORG_DIR}/stackset.yml`)).Properties as Json;
    expect(props).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'DELEGATED_ADMIN',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      ManagedExecution: { Active: true },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      OperationPreferences: {
        ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
        MaxConcurrentPercentage: { Ref: 'MaxConcurrentPercentage' },
        FailureTolerancePercentage: { Ref: 'FailureTolerancePercentage' },
        RegionConcurrencyType: { Ref: 'RegionConcurrencyType' },
      },
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: { Ref: 'OrganizationalUnitIds' } }, Regions: { Ref: 'Regions' } },
      ],
    });
  });

  it('stackset.yml passes every member parameter through, with the same default (an override needs a StackSet value)', () => {
    const stackSetTemplate = readYaml(`${ORG_DIR}/stackset.yml`);
    const passed =
      (stackSetResource(stackSetTemplate).Properties?.Parameters as Array<{ ParameterKey: string; ParameterValue: unknown }>) ?? [];
    const memberNames = Object.keys(member.template.Parameters ?? {});
    const passedNames = passed.map((p) => p.ParameterKey);
    expect({
      missingFromStackSetYml: memberNames.filter((n) => !passedNames.includes(n)),
      notInMemberTemplate: passedNames.filter((n) => !memberNames.includes(n)),
    }).toEqual({ missingFromStackSetYml: [], notInMemberTemplate: [] });
    for (const { ParameterKey: name, ParameterValue: value } of passed) {
      expect({ name, value }).toEqual({ name, value: { Ref: name } });
      if (name === 'ArtifactBucketPrefix' || name === 'ArtifactKeyPrefix') continue;
      const own = stackSetTemplate.Parameters?.[name]?.Default;
      expect({ name, default: own === undefined ? undefined : String(own) }).toEqual({
        name,
        default: member.template.Parameters?.[name]?.Default,
      });
    }
  });

  it('artifact-buckets.yml: <prefix>-<region>, private, encrypted, versioned, readable by the organization only', () => {
    const resources = readYaml(`${ORG_DIR}/artifact-buckets.yml`).Resources;
    const bucket = resources.ArtifactBucket.Properties as Json;
    expect(bucket.BucketName).toEqual({ 'Fn::Sub': '${ArtifactBucketPrefix}-${AWS::Region}' });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(JSON.stringify(bucket.BucketEncryption)).toContain('AES256');
    const allows = policyStatements({ Resources: resources } as unknown as Template).filter((s) => s.statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0].statement).toMatchObject({
      Principal: '*',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } },
    });
  });

  it("central-bus.yml: a bus that principals of the organization may put this service's events on, and no other", () => {
    const resources = readYaml(`${ORG_DIR}/central-bus.yml`).Resources;
    expect(resources.CentralBusPolicy.Properties).toMatchObject({
      EventBusName: { Ref: 'CentralBus' },
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': ['CentralBus', 'Arn'] },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' }, 'events:source': 'ecs-secret-redeploy' } },
      },
    });
  });

  it('forward-to-central-bus.yml: nothing unless a central bus is named; then a rule with a role that may only put events there', () => {
    const fragment = readYaml(`${ORG_DIR}/forward-to-central-bus.yml`);
    expect(fragment.Parameters?.CentralEventBusArn?.Default).toBe('${param:centralEventBusArn}');
    expect(fragment.Conditions).toEqual({ ForwardToCentralBus: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'CentralEventBusArn' }, ''] }] } });
    for (const resource of Object.values(fragment.Resources)) expect(resource.Condition).toBe('ForwardToCentralBus');
    const rule = fragment.Resources.ForwardToCentralBusRule.Properties as Json;
    expect(rule.Name).toBe('${self:custom.rulePrefix}-forward-to-central-bus'); // the dead-letter queue policy admits the prefix
    expect(rule.EventBusName).toBe('${param:notificationBus}');
    expect(rule.EventPattern).toEqual({
      source: ['ecs-secret-redeploy'],
      'detail-type': [
        'Rollout Halted',
        'Service Redeployed',
        'Rollout Completed',
        'Secret Rotation Failed',
        'Referenced Secret Scheduled For Deletion',
      ],
    });
    expect(rule.Targets).toEqual([
      {
        Id: 'central-bus',
        Arn: { Ref: 'CentralEventBusArn' },
        RoleArn: { 'Fn::GetAtt': ['ForwardToCentralBusRole', 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
      },
    ]);
    const statements = policyStatements({ Resources: { R: fragment.Resources.ForwardToCentralBusRole } } as unknown as Template);
    // For this rule only (on the default bus, or on another notification bus), and this service's events only.
    const ruleArn = (bus: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${bus}\${self:custom.rulePrefix}-forward-to-central-bus`,
    });
    expect(statements.filter((s) => s.statement.Effect === 'Allow').map((s) => s.statement)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': [ruleArn(''), ruleArn('${param:notificationBus}/')] },
        },
      },
      {
        Sid: 'PutOnTheCentralBusOnly',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { Ref: 'CentralEventBusArn' },
        Condition: { StringEquals: { 'events:source': 'ecs-secret-redeploy' } },
      },
    ]);
  });
});

describe('the StackSet, against moto', () => {
  const REGIONS = ['eu-west-1', 'us-east-1'];
  const BUCKET_PREFIX = 'acme-esr-artifacts';
  /** StackSet parameter values of this test; the rest stay at stackset.yml's defaults. */
  const SETTINGS = { Clusters: 'prod-a,prod-b', MaxConcurrency: '3', LogLevel: 'DEBUG' };

  let moto: MotoServer;
  let org: { workloadsOu: string; sandboxOu: string; a: string; b: string; admin: string };
  let cfn: CloudFormationClient;
  let stackSet: Json;
  let stackSetName: string;
  const clients: Array<{ destroy(): void }> = [];
  const client = <T extends { destroy(): void }>(c: T): T => {
    clients.push(c);
    return c;
  };
  const config = (region: string) => ({ ...MOTO_CLIENT_CONFIG, region, endpoint: moto.endpoint });

  beforeAll(async () => {
    moto = await startMoto();
    cfn = client(new CloudFormationClient(config(REGION)));
    org = await createOrganization();
    // The delegated administrator holds one artifact bucket per region and uploads the release.
    for (const region of REGIONS) await uploadRelease(region, member.uploadDir);
    stackSet = stackSetProperties({ ArtifactKeyPrefix: member.artifactKeyPrefix });
    stackSetName = stackSet.StackSetName as string;
    await cfn.send(
      new CreateStackSetCommand({
        StackSetName: stackSetName,
        Description: stackSet.Description as string,
        PermissionModel: stackSet.PermissionModel as 'SERVICE_MANAGED',
        AutoDeployment: stackSet.AutoDeployment as Json,
        ManagedExecution: stackSet.ManagedExecution as Json,
        Capabilities: stackSet.Capabilities as ['CAPABILITY_NAMED_IAM'],
        TemplateURL: stackSet.TemplateURL as string,
        Parameters: stackSet.Parameters as Parameter[],
        Tags: stackSet.Tags as Array<{ Key: string; Value: string }>,
        CallAs: 'SELF', // moto gap: see the header (stackset.yml says DELEGATED_ADMIN)
      }),
    );
    // What CloudFormation does for each StackInstancesGroup of the resource.
    for (const group of stackSet.StackInstancesGroup as Json[]) {
      await cfn.send(
        new CreateStackInstancesCommand({
          StackSetName: stackSetName,
          DeploymentTargets: group.DeploymentTargets as Json,
          Regions: group.Regions as string[],
          OperationPreferences: stackSet.OperationPreferences as StackSetOperationPreferences,
          CallAs: 'SELF',
        }),
      );
    }
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await moto?.stop();
  });

  it('creates one stack instance per account and region: two accounts x two regions', async () => {
    const { Summaries: instances = [] } = await cfn.send(new ListStackInstancesCommand({ StackSetName: stackSetName }));
    expect(instances.map((i) => `${i.Account}/${i.Region}`).sort()).toEqual(
      [org.a, org.b].flatMap((account) => REGIONS.map((region) => `${account}/${region}`)).sort(),
    );
    for (const instance of instances) expect(instance.Status).toBe('CURRENT');
    const { StackSet: described } = await cfn.send(new DescribeStackSetCommand({ StackSetName: stackSetName }));
    expect(described?.PermissionModel).toBe('SERVICE_MANAGED');
    expect(sortParameters(described?.Parameters)).toEqual(sortParameters(stackSet.Parameters as Parameter[]));
  });

  it("runs the member template in every instance with the StackSet's parameters, code from the region's bucket", async () => {
    for (const account of [org.a, org.b]) {
      for (const region of REGIONS) {
        const lambda = inAccount(client(new LambdaClient(config(region))), account);
        for (const fn of FUNCTIONS) {
          const name = `ecs-secret-redeploy-${STAGE}-${fn}`;
          const { Configuration: configuration, Code: code } = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
          // normalized(): moto passes a Number parameter on as a number (see the header).
          expect(normalized(configuration?.Environment?.Variables)).toMatchObject({
            CLUSTERS: 'prod-a,prod-b',
            MAX_CONCURRENCY: '3',
            DRY_RUN: 'false',
            POWERTOOLS_LOG_LEVEL: 'DEBUG',
            POWERTOOLS_SERVICE_NAME: `ecs-secret-redeploy-${STAGE}`,
          });
          expect(code?.Location).toContain(`/${member.artifactKeyPrefix}/`);
        }
        const events = inAccount(client(new EventBridgeClient(config(region))), account);
        const { Rules: rules = [] } = await events.send(new ListRulesCommand({}));
        expect(rules.map((r) => r.Name).sort()).toEqual(RULES.map((r) => `ecs-secret-redeploy-${STAGE}-${r}`).sort());
        const dynamo = inAccount(client(new DynamoDBClient(config(region))), account);
        expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual([`ecs-secret-redeploy-${STAGE}`]);
      }
    }
    // Neither the management account nor the delegated administrator runs the stack.
    for (const account of [MOTO_ACCOUNT, org.admin]) {
      const lambda = inAccount(client(new LambdaClient(config(REGION))), account);
      expect((await lambda.send(new ListFunctionsCommand({}))).Functions).toEqual([]);
    }
  });

  it('keeps a per-account override on that account only', async () => {
    await cfn.send(
      new UpdateStackInstancesCommand({
        StackSetName: stackSetName,
        Accounts: [org.b], // moto gap: AWS takes DeploymentTargets: {Accounts: [...]} for a service-managed StackSet
        Regions: REGIONS,
        ParameterOverrides: [{ ParameterKey: 'DryRun', ParameterValue: 'true' }],
        OperationPreferences: stackSet.OperationPreferences as StackSetOperationPreferences,
        CallAs: 'SELF',
      }),
    );
    for (const region of REGIONS) {
      expect(await overrides(org.b, region)).toEqual([{ ParameterKey: 'DryRun', ParameterValue: 'true' }]);
      expect(await overrides(org.a, region)).toEqual([]);
    }
  });

  it('takes a new release with UpdateStackSet, keeping the override', async () => {
    const next = `${member.artifactKeyPrefix}-next`;
    const release = path.join(ROOT, 'dist/test-org/next');
    fs.rmSync(release, { recursive: true, force: true });
    fs.mkdirSync(path.join(release, next), { recursive: true });
    for (const { file } of member.artifacts)
      fs.copyFileSync(path.join(member.uploadDir, member.artifactKeyPrefix, file), path.join(release, next, file));
    const template = structuredClone(member.template);
    if (template.Parameters) template.Parameters.ArtifactKeyPrefix.Default = next;
    fs.writeFileSync(path.join(release, next, 'member-template.json'), JSON.stringify(template));
    for (const region of REGIONS) await uploadRelease(region, release);

    const updated = stackSetProperties({ ArtifactKeyPrefix: next });
    const group = (updated.StackInstancesGroup as Json[])[0];
    const { OperationId: operationId } = await cfn.send(
      new UpdateStackSetCommand({
        StackSetName: stackSetName,
        TemplateURL: updated.TemplateURL as string,
        Parameters: updated.Parameters as Parameter[],
        Capabilities: updated.Capabilities as ['CAPABILITY_NAMED_IAM'],
        DeploymentTargets: group.DeploymentTargets as Json,
        Regions: group.Regions as string[],
        OperationPreferences: updated.OperationPreferences as StackSetOperationPreferences,
        CallAs: 'SELF',
      }),
    );
    const { StackSetOperation: operation } = await cfn.send(
      new DescribeStackSetOperationCommand({ StackSetName: stackSetName, OperationId: operationId }),
    );
    expect(operation).toMatchObject({ Action: 'UPDATE', Status: 'SUCCEEDED' });
    const { StackSet: described } = await cfn.send(new DescribeStackSetCommand({ StackSetName: stackSetName }));
    expect((JSON.parse(described?.TemplateBody ?? '{}') as CfnTemplate).Parameters?.ArtifactKeyPrefix?.Default).toBe(next);
    expect(described?.Parameters).toContainEqual({ ParameterKey: 'ArtifactKeyPrefix', ParameterValue: next });
    for (const region of REGIONS) expect(await overrides(org.b, region)).toEqual([{ ParameterKey: 'DryRun', ParameterValue: 'true' }]);
  });

  it('removes the stacks from every account, then the StackSet', async () => {
    await cfn.send(
      new DeleteStackInstancesCommand({
        StackSetName: stackSetName,
        Accounts: [org.a, org.b],
        Regions: REGIONS,
        RetainStacks: false,
        CallAs: 'SELF',
      }),
    );
    expect((await cfn.send(new ListStackInstancesCommand({ StackSetName: stackSetName }))).Summaries).toEqual([]);
    for (const account of [org.a, org.b]) {
      for (const region of REGIONS) {
        const lambda = inAccount(client(new LambdaClient(config(region))), account);
        expect((await lambda.send(new ListFunctionsCommand({}))).Functions).toEqual([]);
      }
    }
    await cfn.send(new DeleteStackSetCommand({ StackSetName: stackSetName, CallAs: 'SELF' }));
    await expect(cfn.send(new DescribeStackSetCommand({ StackSetName: stackSetName }))).rejects.toThrow(/not found/i);
  });

  /** stackset.yml's StackSet properties with this test's parameter values. */
  function stackSetProperties(values: Record<string, string>): Json {
    const template = readYaml(`${ORG_DIR}/stackset.yml`);
    const parameters: Record<string, string | string[]> = Object.fromEntries(
      Object.entries(template.Parameters ?? {})
        .filter(([, p]) => p.Default !== undefined)
        .map(([name, p]) => [name, String(p.Default)]),
    );
    Object.assign(parameters, SETTINGS, values, {
      OrganizationalUnitIds: [org.workloadsOu, org.sandboxOu],
      Regions: REGIONS,
      ArtifactBucketPrefix: BUCKET_PREFIX,
    });
    return resolve(stackSetResource(template).Properties, parameters, {
      'AWS::Region': REGION,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::AccountId': org.admin,
    }) as Json;
  }

  async function overrides(account: string, region: string): Promise<Parameter[]> {
    const { StackInstance: instance } = await cfn.send(
      new DescribeStackInstanceCommand({ StackSetName: stackSetName, StackInstanceAccount: account, StackInstanceRegion: region }),
    );
    return instance?.ParameterOverrides ?? [];
  }

  /** Copies an upload tree (`<key prefix>/<file>`) into the delegated administrator's bucket of `region`. */
  async function uploadRelease(region: string, dir: string): Promise<void> {
    const s3 = inAccount(client(new S3Client({ ...config(region), forcePathStyle: true })), org.admin);
    const bucket = `${BUCKET_PREFIX}-${region}`;
    await s3
      .send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
      });
    for (const file of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const full = path.join(dir, file);
      if (!fs.statSync(full).isFile()) continue;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.split(path.sep).join('/'), Body: fs.readFileSync(full) }));
    }
  }

  /** Management account: the organization, two OUs with one account each, and the delegated administrator account. */
  async function createOrganization() {
    await organizations('CreateOrganization', { FeatureSet: 'ALL' });
    const { Roots: roots } = (await organizations('ListRoots', {})) as { Roots: Array<{ Id: string }> };
    const root = roots[0].Id;
    const ou = async (name: string) =>
      ((await organizations('CreateOrganizationalUnit', { ParentId: root, Name: name })) as { OrganizationalUnit: { Id: string } })
        .OrganizationalUnit.Id;
    const account = async (name: string, parent?: string) => {
      const created = (await organizations('CreateAccount', { AccountName: name, Email: `${name}@example.com` })) as {
        CreateAccountStatus: { AccountId: string };
      };
      const id = created.CreateAccountStatus.AccountId;
      if (parent) await organizations('MoveAccount', { AccountId: id, SourceParentId: root, DestinationParentId: parent });
      return id;
    };
    const workloadsOu = await ou('workloads');
    const sandboxOu = await ou('sandbox');
    return {
      workloadsOu,
      sandboxOu,
      a: await account('workload-a', workloadsOu),
      b: await account('sandbox-b', sandboxOu),
      admin: await account('tooling'),
    };
  }

  async function organizations(action: string, body: Json): Promise<unknown> {
    const response = await fetch(`${moto.endpoint}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSOrganizationsV20161128.${action}`,
        // moto picks the service from the credential scope.
        Authorization: 'AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Organizations ${action}: ${response.status} ${text}`);
    return JSON.parse(text);
  }
});

/** The StackSet resource of stackset.yml. */
function stackSetResource(template: CfnTemplate) {
  const found = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudFormation::StackSet');
  expect(found).toHaveLength(1);
  return found[0];
}

/** Ref and Fn::Sub against parameter values; anything else is refused, so stackset.yml stays this simple or this grows. */
function resolve(node: unknown, parameters: Record<string, string | string[]>, pseudo: Record<string, string>): unknown {
  const value = (name: string) => {
    const found = parameters[name] ?? pseudo[name];
    if (found === undefined) throw new Error(`no value for ${name}`);
    return found;
  };
  if (Array.isArray(node)) return node.map((n) => resolve(n, parameters, pseudo));
  if (!node || typeof node !== 'object') return node;
  const obj = node as Json;
  if ('Ref' in obj) return value(obj.Ref as string);
  if ('Fn::Sub' in obj) return (obj['Fn::Sub'] as string).replace(/\$\{([A-Za-z0-9:]+)\}/g, (_, name: string) => String(value(name)));
  const intrinsic = Object.keys(obj).find((k) => k.startsWith('Fn::'));
  if (intrinsic) throw new Error(`the test cannot resolve ${intrinsic}`);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v, parameters, pseudo)]));
}

/**
 * The member template with the parameters the conversion introduced at their defaults: what a
 * single-account deploy of the same stage produces. Parameters the packaged template declares itself
 * stay references in both.
 */
function atDefaults(template: CfnTemplate): Template {
  const own = new Set(Object.keys((packaged.updateTemplate as { Parameters?: Json }).Parameters ?? {}));
  const defaults = new Map(
    Object.entries(template.Parameters ?? {})
      .filter(([name, p]) => p.Default !== undefined && !own.has(name))
      .map(([name, p]) => [name, p.Default as string]),
  );
  const sub = (text: string) => text.replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, name: string) => defaults.get(name) ?? whole);
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const obj = node as Json;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Ref' && defaults.has(obj.Ref as string)) return defaults.get(obj.Ref as string);
    if (keys.length === 1 && keys[0] === 'Fn::Sub' && typeof obj['Fn::Sub'] === 'string') {
      const text = sub(obj['Fn::Sub']);
      // A Sub left with no variable was a plain string before the conversion.
      return /\$\{(?!!)/.test(text) ? { 'Fn::Sub': text } : text.replace(/\$\{!/g, '${');
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, walk(v)]));
  };
  return { Resources: walk(template.Resources), Outputs: walk(template.Outputs) } as Template;
}

/** Function code set aside: where it comes from is what the conversion changes on purpose. */
function withoutCode(resources: Template['Resources']): Template['Resources'] {
  const copy = structuredClone(resources);
  for (const [, fn] of resourcesOfType({ Resources: copy }, 'AWS::Lambda::Function')) if (fn.Properties) fn.Properties.Code = 'code';
  return copy;
}

/** Numbers as strings: a parameter gives "30" where the framework wrote 30, and CloudFormation reads both alike. */
function normalized(node: unknown): unknown {
  if (typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(normalized);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, normalized(v)]));
}

function sortParameters(parameters: Parameter[] | undefined): Parameter[] {
  return [...(parameters ?? [])]
    .map((p) => ({ ParameterKey: p.ParameterKey, ParameterValue: p.ParameterValue }))
    .sort((x, y) => String(x.ParameterKey).localeCompare(String(y.ParameterKey)));
}

/** Sends every call of `client` as `account` (moto reads the x-moto-account-id header). */
function inAccount<T extends { middlewareStack: unknown }>(client: T, account: string): T {
  (client.middlewareStack as { add(middleware: unknown, options: unknown): void }).add(
    (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
}

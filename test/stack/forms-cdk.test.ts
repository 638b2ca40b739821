/**
 * The CDK construct (cdk/): what it synthesizes (Template assertions), the AwsSolutions rule pack
 * of cdk-nag with every finding acknowledged by the construct with its reason, cfn-lint on the
 * synthesized templates, props checked as the stack's parameters are, tokens passed through for
 * CloudFormation, the grants and event rules a CDK user reaches for, and the example app. That it
 * deploys what the Serverless stack deploys: forms-parity.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnParameter, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { exampleApp } from '../../cdk/example/app';
import { EcsSecretRedeploy, type EcsSecretRedeployProps } from '../../cdk/src';
import { BUNDLES, cfnLint, copyBundles, removeTempDirs, tempDir } from './forms';
import type { Json } from './template';

let bundlesDir: string;
/**
 * Templates for one cfn-lint run at the end (it takes seconds per template): the defaults, every
 * optional resource, and tokens left to CloudFormation; the other syntheses differ from these in
 * values only.
 */
const linted: string[] = [];

beforeAll(() => {
  bundlesDir = copyBundles(path.join(tempDir('cdk'), 'bundles'));
}, 300_000);

afterAll(removeTempDirs);

function synth(props: EcsSecretRedeployProps = {}, env?: { region: string }) {
  const app = new App({ outdir: tempDir('cdk-out') });
  const stack = new Stack(app, 'Test', env ? { env } : {});
  const construct = new EcsSecretRedeploy(stack, 'EcsSecretRedeploy', { bundlesDir, ...props });
  return { app, stack, construct };
}

/** The synthesized template, written where cfn-lint can read it (and queued for it with `lint`). */
function templateFile(app: App, stack: Stack, lint = false): string {
  const assembly = app.synth();
  const file = path.join(assembly.directory, assembly.getStackArtifact(stack.artifactId).templateFile);
  if (lint) linted.push(file);
  return file;
}

describe('with the default props', () => {
  let template: Template;
  let file: string;

  beforeAll(() => {
    const { app, stack } = synth();
    file = templateFile(app, stack, true);
    template = Template.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
  }, 120_000);

  test('the three functions, named after the default name, run the zips of npm run package as file assets', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    for (const name of ['on-secret-change', 'redeploy-secret', 'refresh-index']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `ecs-secret-redeploy-${name}`,
        Runtime: 'nodejs22.x',
        Code: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('^[0-9a-f]{64}\\.zip$') },
      });
    }
    const assets = JSON.parse(fs.readFileSync(file.replace(/\.template\.json$/, '.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    const sources = Object.values(assets.files).filter((a) => a.source.path.endsWith('.zip'));
    // A zip asset is uploaded as it is: nothing is bundled at synthesis.
    expect(sources.map((a) => a.source.packaging)).toEqual(['file', 'file', 'file']);
    const staged = sources.map((a) => fs.readFileSync(path.join(path.dirname(file), a.source.path)));
    expect(staged.map((b) => b.length).sort()).toEqual(BUNDLES.map((b) => fs.statSync(path.join(bundlesDir, b)).size).sort());
  });

  test('the reconciler reserves one execution and sends failed events to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ecs-secret-redeploy-on-secret-change',
      ReservedConcurrentExecutions: 1,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } } },
    });
  });

  test('the state table has the keys, TTL and recovery the functions rely on', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'ecs-secret-redeploy',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  test('nine rules reach the functions, and nothing optional is created', () => {
    template.resourceCountIs('AWS::Events::Rule', 9);
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    // The three functions' roles, and the one EventBridge Scheduler runs the wakeups as.
    template.resourceCountIs('AWS::IAM::Role', 4);
    expect(template.toJSON().Conditions).toBeUndefined();
  });

  test('no role is allowed to read a secret value, nor any wildcard action', () => {
    const actions = Object.values(template.findResources('AWS::IAM::Role'))
      .flatMap((role) => ((role.Properties as Json).Policies as Json[]).flatMap((p) => (p.PolicyDocument as Json).Statement as Json[]))
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => [s.Action].flat().map(String));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => /GetSecretValue|ssm:GetParameter|kms:Decrypt|\*/.test(a))).toEqual([]);
  });
});

describe('the AwsSolutions rule pack of cdk-nag', () => {
  // cdk-nag 3.0.2's EventBusOpenAccess reads CfnEventBusPolicy#principal, which aws-cdk-lib
  // deprecates, and jsii prints a warning for it: the rule pack's, not the construct's.
  const deprecated = process.env.JSII_DEPRECATED;
  beforeAll(() => {
    process.env.JSII_DEPRECATED = 'quiet';
  });
  afterAll(() => {
    if (deprecated === undefined) delete process.env.JSII_DEPRECATED;
    else process.env.JSII_DEPRECATED = deprecated;
  });

  test("reports only a finding of the app's own, none of the construct, whose every acknowledgement has a reason", () => {
    const { app, stack } = synth({ secretOwners: ['111111111111'], forwardSecretEventsTo: ['us-east-1'] });
    // The app's own finding, which nothing acknowledges: the rule pack is applied, and fails on it alone.
    const own = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    own.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::some-bucket/*'] }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = String(error);
    }
    const findings = [...report.matchAll(/^\s+(\S+\/\S+) aws-cdk-lib/gm)].map((m) => m[1]);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.filter((at) => !at.startsWith('Test/AppRole'))).toEqual([]);
    // Each acknowledgement is recorded as {"<kind>::<finding id>": reason}.
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => [m.data].flat().flatMap((entry) => Object.entries(entry as Record<string, string>)));
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(acknowledged.filter(([, reason]) => typeof reason !== 'string' || reason.length < 20)).toEqual([]);
  }, 180_000);
});

describe('props', () => {
  test('with secret owners, forwarding and a central bus, the optional resources exist', () => {
    const { app, stack } = synth({
      name: 'ecs-secret-redeploy-prod',
      secretOwners: ['111111111111', '222222222222'],
      forwardSecretEventsTo: ['us-east-1', 'eu-central-1'],
      centralEventBusArn: 'arn:aws:events:eu-west-1:999999999999:event-bus/central',
    });
    const file = templateFile(app, stack, true);
    const template = Template.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
    template.resourceCountIs('AWS::Events::EventBusPolicy', 1);
    template.hasResourceProperties('AWS::Events::Rule', { Name: 'ecs-secret-redeploy-prod-forward-to-central-bus' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SECRET_OWNERS: '111111111111,222222222222' }) },
    });
    // An environment-agnostic stack leaves "is this region one of the targets" to CloudFormation.
    expect(Object.keys(template.toJSON().Conditions ?? {}).length).toBeGreaterThan(0);
  });

  test('in a stack of a known region, the forwarding targets are decided at synthesis', () => {
    const { app, stack } = synth({ forwardSecretEventsTo: ['us-east-1', 'eu-west-1'] }, { region: 'eu-west-1' });
    const template = Template.fromJSON(JSON.parse(fs.readFileSync(templateFile(app, stack), 'utf8')));
    expect(template.toJSON().Conditions).toBeUndefined();
    const rules = template.findResources('AWS::Events::Rule', { Properties: { Name: 'ecs-secret-redeploy-forward-secret-api-call' } });
    expect(Object.values(rules).map((r) => ((r as Json).Properties as Json).Targets)).toEqual([
      [expect.objectContaining({ Id: 'us-east-1' })],
    ]);
  });

  test('tokens are passed through for CloudFormation', () => {
    const app = new App({ outdir: tempDir('cdk-out') });
    const stack = new Stack(app, 'Tokens');
    const bus = new CfnParameter(stack, 'Bus', { default: 'default' });
    const owners = new CfnParameter(stack, 'Owners', { type: 'CommaDelimitedList', default: '' });
    const concurrency = new CfnParameter(stack, 'Concurrency', { type: 'Number', default: 5 });
    new EcsSecretRedeploy(stack, 'EcsSecretRedeploy', {
      bundlesDir,
      notificationBus: bus.valueAsString,
      secretOwners: owners.valueAsList,
      maxConcurrency: concurrency.valueAsNumber,
    });
    const file = templateFile(app, stack, true);
    const template = Template.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: { Ref: 'Bus' }, MAX_CONCURRENCY: { Ref: 'Concurrency' } }) },
    });
    // Whether secret owners are set is decided by CloudFormation, from the parameter.
    expect(Object.keys(template.toJSON().Conditions ?? {})).toEqual(expect.arrayContaining([expect.stringContaining('HasSecretOwners')]));
  });

  test.each([
    ['secret owners that are not account ids', { secretOwners: ['1234'] }, /secretOwners "1234" does not match/],
    ['a name too long for the longest rule name', { name: 'ecs-secret-redeploy-a-very-long-stage' }, /name .* is longer than 35/],
    ['a schedule that is neither rate nor cron', { indexSchedule: 'every 6 hours' }, /indexSchedule "every 6 hours" does not match/],
    ['a number given as text', { maxConcurrency: '5' as unknown as number }, /maxConcurrency must be a number/],
    ['a list given as text', { clusters: 'prod-a,prod-b' as unknown as string[] }, /clusters must be a list of strings/],
  ])('refuses %s at synthesis', (_, props, error) => {
    expect(() => synth(props as EcsSecretRedeployProps)).toThrow(error);
  });

  test('refuses to synthesize without the bundles, saying how to build them', () => {
    const empty = tempDir('no-bundles');
    expect(() => synth({ bundlesDir: empty })).toThrow(`no onSecretChange.zip in ${empty}; build the bundles with \`npm run package\``);
  });

  test('two deployments fit in one stack under different names', () => {
    const { app, stack } = synth({ name: 'ecs-secret-redeploy-blue' });
    new EcsSecretRedeploy(stack, 'Green', { bundlesDir, name: 'ecs-secret-redeploy-green' });
    const template = Template.fromJSON(JSON.parse(fs.readFileSync(templateFile(app, stack), 'utf8')));
    template.resourceCountIs('AWS::Lambda::Function', 6);
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });
});

describe('grants and events', () => {
  test('grantInvokeRedeploySecret and grantReadState give a principal the manual request and the state table', () => {
    const { stack, construct } = synth();
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    construct.grantInvokeRedeploySecret(role);
    construct.grantReadState(role);
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies).toContain('lambda:InvokeFunction');
    expect(policies).toMatch(/EcsSecretRedeployResourcesRedeploySecretLambdaFunction[0-9A-F]+","Arn"/);
    expect(policies).toContain('dynamodb:GetItem');
    expect(policies).toMatch(/EcsSecretRedeployResourcesStateTable[0-9A-F]+","Arn"/);
  });

  test("onEvent makes a rule on the notification bus for the tool's events", () => {
    const { stack, construct } = synth({ notificationBus: 'ops' });
    construct.onEvent('Halted', { detailTypes: ['Rollout Halted'] });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'ops',
      EventPattern: { source: ['ecs-secret-redeploy'], 'detail-type': ['Rollout Halted'] },
    });
  });
});

test('the example app synthesizes', () => {
  const app = exampleApp(bundlesDir, tempDir('cdk-example'));
  const stack = app.synth().getStackByName('EcsSecretRedeployProd');
  expect(JSON.stringify(stack.template)).toContain('ecs-secret-redeploy-prod-on-secret-change');
}, 120_000);

test('cfn-lint finds nothing in any template synthesized above', () => {
  expect(linted.length).toBe(3);
  expect(cfnLint(...linted)).toBe('');
}, 300_000);

/**
 * The behaviour definition (scripts/forms/behaviour.ts) made of a stack packaged with placeholders:
 * the stage-derived names become the parameter Name (bounded by the longest name built from it),
 * the code points at the bundles, the rules take ids of their own names, and every setting gets
 * the type each form gives it.
 */
import { toBehaviour } from '../../../scripts/forms/behaviour';
import { type CfnTemplate, placeholder } from '../../../scripts/org/member-template';

const ruleArn = (name: string) => ({
  'Fn::Join': [
    ':',
    ['arn', { Ref: 'AWS::Partition' }, 'events', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { 'Fn::Join': ['/', ['rule', name]] }],
  ],
});

function packaged(extra: Record<string, unknown> = {}): CfnTemplate {
  return {
    Resources: {
      ServerlessDeploymentBucket: { Type: 'AWS::S3::Bucket' },
      FnLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: 'ecs-secret-redeploy-formsstage-fn',
          Code: { S3Bucket: { Ref: 'ServerlessDeploymentBucket' }, S3Key: 'serverless/ecs-secret-redeploy/formsstage/1-2/fn.zip' },
          Environment: { Variables: { DRY_RUN: placeholder('dryRun'), CLUSTERS: placeholder('clusters'), RATE: placeholder('rate') } },
          ...extra,
        },
      },
      EcssecretredeployformsstagefnrulerulEventBridgeRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'ecs-secret-redeploy-formsstage-tick',
          ScheduleExpression: placeholder('schedule'),
          Targets: [{ Id: 'ecs-secret-redeploy-formsstage-tick-target', Arn: { 'Fn::GetAtt': ['FnLambdaFunction', 'Arn'] } }],
        },
      },
      FnEventBridgeLambdaPermission1: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          FunctionName: { 'Fn::GetAtt': ['FnLambdaFunction', 'Arn'] },
          SourceArn: ruleArn('ecs-secret-redeploy-formsstage-tick'),
        },
      },
    },
  };
}

const parameters = [
  { key: 'dryRun', default: 'false', description: 'true = plan only' },
  { key: 'clusters', default: '', description: 'Comma-separated cluster names' },
  { key: 'rate', default: '2', description: 'Calls per second.' },
  { key: 'schedule', default: 'rate(1 hour)', description: 'When the rule runs.' },
];

test('the stage-derived names become Name, as long as the longest name built from it allows', () => {
  const { template, parameters: settings } = toBehaviour(packaged(), 'ecs-secret-redeploy', parameters);
  expect(template.Resources.FnLambdaFunction.Properties?.FunctionName).toEqual({ 'Fn::Sub': '${Name}-fn' });
  // A rule target id is at most 64 characters: "${Name}-tick-target" leaves 52.
  expect(template.Parameters?.Name).toMatchObject({ Type: 'String', Default: 'ecs-secret-redeploy', MaxLength: 52 });
  expect(settings[0]).toMatchObject({ key: 'name', cfn: 'Name', tf: 'name', type: 'string', env: [] });
});

test('the rules take ids of their own names, and their permissions follow', () => {
  const { template } = toBehaviour(packaged(), 'ecs-secret-redeploy', parameters);
  expect(Object.keys(template.Resources)).toEqual(['FnLambdaFunction', 'TickRule', 'TickRulePermission']);
});

test('the code points at the bundles', () => {
  const { template, bundles } = toBehaviour(packaged(), 'ecs-secret-redeploy', parameters);
  expect(bundles).toEqual({ FnLambdaFunction: 'fn.zip' });
  expect(template.Resources.FnLambdaFunction.Properties?.Code).toEqual({
    S3Bucket: { Ref: 'BundlesBucket' },
    S3Key: { 'Fn::Sub': '${BundlesKeyPrefix}fn.zip' },
  });
});

test.each([
  ['dryRun', 'boolean', ['DRY_RUN']],
  ['clusters', 'list', ['CLUSTERS']],
  ['rate', 'number', ['RATE']],
  ['schedule', 'string', []],
])('%s is a %s setting', (key, type, env) => {
  const setting = toBehaviour(packaged(), 'ecs-secret-redeploy', parameters).parameters.find((p) => p.key === key);
  expect(setting).toMatchObject({ type, env });
});

test('a description is a sentence in every form', () => {
  const dryRun = toBehaviour(packaged(), 'ecs-secret-redeploy', parameters).parameters.find((p) => p.key === 'dryRun');
  expect(dryRun?.description).toBe('true = plan only.');
});

test('refuses the stage written literally anywhere else, naming where', () => {
  expect(() => toBehaviour(packaged({ Description: 'made for formsstage' }), 'ecs-secret-redeploy', parameters)).toThrow(
    /the stage is still written literally at \$\.Resources\.FnLambdaFunction\.Properties\.Description/,
  );
});

test('refuses a setting without a description', () => {
  expect(() => toBehaviour(packaged(), 'ecs-secret-redeploy', [...parameters.slice(1), { key: 'dryRun', default: 'false' }])).toThrow(
    'params.dryRun has no comment above it in serverless.yml',
  );
});

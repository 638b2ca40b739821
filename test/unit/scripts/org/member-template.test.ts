/**
 * The pure converter of the organization StackSet (scripts/org/member-template.ts): a packaged
 * template in, the member template out. The real packaged stack goes through it in
 * test/stack/organization.test.ts.
 */
import {
  type CfnTemplate,
  cfnParameter,
  parameterName,
  placeholder,
  type ServiceParameter,
  toMemberTemplate,
} from '../../../../scripts/org/member-template';

describe('parameterName', () => {
  it.each([
    ['maxConcurrency', 'MaxConcurrency'],
    ['log-level', 'LogLevel'],
    ['update_burst', 'UpdateBurst'],
  ])('names the parameter of %s %s (CloudFormation allows letters and digits only)', (key, name) => {
    expect(parameterName(key)).toBe(name);
  });

  it('refuses a key that cannot become a parameter name', () => {
    expect(() => parameterName('9lives')).toThrow(/cannot become a CloudFormation parameter name/);
  });
});

describe('cfnParameter', () => {
  it.each([
    ['a small integer', '300', { Type: 'Number', Default: '300' }],
    ['an account id with a leading zero', '012345678901', { Type: 'String', Default: '012345678901' }],
    ['a boolean', 'true', { Type: 'String', Default: 'true', AllowedValues: ['true', 'false'] }],
    [
      'a schedule',
      'rate(30 minutes)',
      {
        Type: 'String',
        Default: 'rate(30 minutes)',
        AllowedPattern: '^(rate|cron)\\(.+\\)$',
        ConstraintDescription: 'an EventBridge schedule: rate(...) or cron(...)',
      },
    ],
    ['any other text', 'info', { Type: 'String', Default: 'info' }],
  ])('types %s from its default', (_what, value, parameter) => {
    expect(cfnParameter({ key: 'x', default: value })).toEqual(parameter);
  });

  it("keeps the comment above the key as the parameter's description", () => {
    expect(cfnParameter({ key: 'x', default: 'a', description: 'what x does' })).toEqual({
      Type: 'String',
      Default: 'a',
      Description: 'what x does',
    });
  });
});

describe('toMemberTemplate', () => {
  const zip = (file: string) => ({ S3Bucket: { Ref: 'ServerlessDeploymentBucket' }, S3Key: `serverless/svc/ci/1-2/${file}` });
  const tiny = (resources: CfnTemplate['Resources'] = {}, more: Partial<CfnTemplate> = {}): CfnTemplate => ({
    Resources: {
      ServerlessDeploymentBucket: { Type: 'AWS::S3::Bucket' },
      ServerlessDeploymentBucketPolicy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'ServerlessDeploymentBucket' } } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: zip('fn.zip'), Environment: { Variables: { A: placeholder('alpha') } } } },
      ...resources,
    },
    ...more,
  });
  const params: ServiceParameter[] = [{ key: 'alpha', default: '7' }];
  const convert = (template: CfnTemplate, parameters = params) =>
    toMemberTemplate(template, { parameters, artifactKeyPrefix: 'svc/ci/1.0.0-abc', packagingRegion: 'eu-west-1' });

  it('makes a whole value a Ref and a value inside a string a Sub, keeping literal ${...} literal', () => {
    const { template } = convert(
      tiny({
        Topic: {
          Type: 'AWS::SNS::Topic',
          Properties: {
            DisplayName: `x-${placeholder('alpha')}-\${aws:username}`,
            TopicName: { 'Fn::Sub': `\${AWS::StackName}-${placeholder('alpha')}` },
          },
        },
      }),
    );
    expect(template.Resources.Fn.Properties?.Environment).toEqual({ Variables: { A: { Ref: 'Alpha' } } });
    expect(template.Resources.Topic.Properties).toEqual({
      DisplayName: { 'Fn::Sub': 'x-${Alpha}-${!aws:username}' },
      TopicName: { 'Fn::Sub': '${AWS::StackName}-${Alpha}' },
    });
    expect(template.Parameters?.Alpha).toEqual({ Type: 'Number', Default: '7' });
  });

  it('adopts a template parameter that defaults to a params value, keeping its constraints', () => {
    const { template, parameterNames } = convert(
      tiny(
        { Rule: { Type: 'AWS::Events::Rule', Condition: 'On', Properties: { EventBusName: { Ref: 'BusArn' } } } },
        {
          Parameters: { BusArn: { Type: 'String', Default: placeholder('bus'), AllowedPattern: '^(arn:.+)?$' } },
          Conditions: { On: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'BusArn' }, ''] }] } },
        },
      ),
      [...params, { key: 'bus', default: '', description: 'the bus' }],
    );
    expect(parameterNames.bus).toBe('BusArn');
    expect(template.Parameters?.BusArn).toEqual({ Type: 'String', Default: '', AllowedPattern: '^(arn:.+)?$', Description: 'the bus' });
  });

  it('drops the deployment bucket, its policy and the outputs that name it, and leaves the input as it was', () => {
    const packaged = tiny(
      {},
      {
        Outputs: {
          ServerlessDeploymentBucketName: { Value: { Ref: 'ServerlessDeploymentBucket' } },
          FnArn: { Value: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
        },
      },
    );
    const before = structuredClone(packaged);

    const { template } = convert(packaged);

    expect(Object.keys(template.Resources)).toEqual(['Fn']);
    expect(Object.keys(template.Outputs ?? {})).toEqual(['FnArn']);
    expect(packaged).toEqual(before);
  });

  it("points every function's code at its region's artifact bucket, under the release prefix, and lists the zips", () => {
    const { template, artifacts } = convert(
      tiny({ Other: { Type: 'AWS::Lambda::Function', Properties: { Code: zip('other.zip'), Environment: { Variables: { A: 'x' } } } } }),
    );

    expect(template.Resources.Other.Properties?.Code).toEqual({
      S3Bucket: { 'Fn::Sub': '${ArtifactBucketPrefix}-${AWS::Region}' },
      S3Key: { 'Fn::Sub': '${ArtifactKeyPrefix}/other.zip' },
    });
    expect(artifacts).toEqual([
      { logicalId: 'Fn', file: 'fn.zip' },
      { logicalId: 'Other', file: 'other.zip' },
    ]);
    expect(template.Parameters?.ArtifactKeyPrefix).toMatchObject({ Type: 'String', Default: 'svc/ci/1.0.0-abc' });
    expect(template.Parameters?.ArtifactBucketPrefix).not.toHaveProperty('Default');
  });

  it('turns placeholders in Conditions and output values into parameters, and groups the parameters for the console', () => {
    const { template } = convert(
      tiny(
        {},
        {
          Conditions: { Big: { 'Fn::Equals': [placeholder('alpha'), '7'] } },
          Outputs: { AlphaValue: { Value: `alpha=${placeholder('alpha')}` } },
        },
      ),
    );

    expect(template.Conditions).toEqual({ Big: { 'Fn::Equals': [{ Ref: 'Alpha' }, '7'] } });
    expect(template.Outputs?.AlphaValue).toEqual({ Value: { 'Fn::Sub': 'alpha=${Alpha}' } });
    expect(template.Metadata?.['AWS::CloudFormation::Interface']).toEqual({
      ParameterGroups: [
        { Label: { default: 'Artifacts' }, Parameters: ['ArtifactBucketPrefix', 'ArtifactKeyPrefix'] },
        { Label: { default: 'Settings (serverless.yml params)' }, Parameters: ['Alpha'] },
      ],
    });
  });

  it.each([
    ['a params key the template never uses', tiny(), [...params, { key: 'beta', default: 'x' }], /no trace of params beta/],
    ['a placeholder in a logical id', tiny({ [`Q${placeholder('alpha')}`]: { Type: 'AWS::SQS::Queue' } }), params, /logical id/],
    [
      'a placeholder as a Ref target',
      tiny({ Q: { Type: 'AWS::SQS::Queue', Properties: { X: { Ref: placeholder('alpha') } } } }),
      params,
      /names a resource/,
    ],
    ['a placeholder in a description', tiny({}, { Description: placeholder('alpha') }), params, /evaluates no functions/],
    [
      'a placeholder of a key that is not a param',
      tiny({ Q: { Type: 'AWS::SQS::Queue', Properties: { X: placeholder('gamma') } } }),
      params,
      /unknown params key "gamma"/,
    ],
    [
      'the packaging region written literally',
      tiny({ Q: { Type: 'AWS::SQS::Queue', Properties: { X: 'arn:aws:sqs:eu-west-1:1:q' } } }),
      params,
      /eu-west-1/,
    ],
    ['a key whose parameter name is taken', tiny({ Alpha: { Type: 'AWS::SQS::Queue' } }), params, /already Resources.Alpha/],
    [
      'a template without the deployment bucket',
      { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: zip('fn.zip') } } } },
      [],
      /no ServerlessDeploymentBucket/,
    ],
    [
      'two functions of one zip',
      tiny({ Twin: { Type: 'AWS::Lambda::Function', Properties: { Code: zip('fn.zip') } } }),
      params,
      /two resources use an artifact named fn.zip/,
    ],
    [
      'the deployment bucket still named after it is removed',
      tiny({ Q: { Type: 'AWS::SQS::Queue', Properties: { X: { 'Fn::GetAtt': ['ServerlessDeploymentBucket', 'Arn'] } } } }),
      params,
      /still referenced after removing the deployment bucket: Resources.Q.Properties.X.Fn::GetAtt/,
    ],
    [
      'a placeholder in an output description',
      tiny({}, { Outputs: { O: { Value: 'v', Description: placeholder('alpha') } } }),
      params,
      /description/,
    ],
  ])('fails loudly on %s', (_what, template, parameters, message) => {
    expect(() => convert(template as CfnTemplate, parameters as ServiceParameter[])).toThrow(message);
  });
});

/**
 * What the CDK construct decides at synthesis (cdk/src/specialize.ts): known parameters written
 * in, conditions of known values evaluated (their resources kept or left out, their Fn::If
 * branches chosen), and whatever depends on an unknown value left to CloudFormation.
 */
import { specialize, type Template } from '../../../cdk/src/specialize';

const template: Template = {
  Parameters: { Owners: { Type: 'String' }, Retention: { Type: 'Number' }, Regions: { Type: 'String' } },
  Conditions: {
    HasOwners: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Owners' }, ''] }] },
    ToFirst: {
      'Fn::And': [
        { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Select': [0, { 'Fn::Split': [',', { 'Fn::Sub': '${Regions},,' }] }] }, ''] }] },
        {
          'Fn::Not': [
            { 'Fn::Equals': [{ 'Fn::Select': [0, { 'Fn::Split': [',', { 'Fn::Sub': '${Regions},,' }] }] }, { Ref: 'AWS::Region' }] },
          ],
        },
      ],
    },
    ForwardAny: { 'Fn::Or': [{ Condition: 'ToFirst' }, { 'Fn::Equals': ['a', 'b'] }] },
  },
  Resources: {
    Policy: { Type: 'AWS::Events::EventBusPolicy', Condition: 'HasOwners', Properties: { StatementId: { 'Fn::Sub': 'x-${Owners}' } } },
    Group: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: { Ref: 'Retention' } } },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Statements: ['always', { 'Fn::If': ['HasOwners', 'owners', { Ref: 'AWS::NoValue' }] }],
        Text: { 'Fn::Sub': 'a-${!Literal}' },
      },
    },
    Rule: {
      Type: 'AWS::Events::Rule',
      Condition: 'ForwardAny',
      Properties: { Name: 'forward', Targets: [{ 'Fn::If': ['ToFirst', 'first', { Ref: 'AWS::NoValue' }] }] },
    },
  },
  Outputs: { X: { Value: 'y' } },
};

test('a condition of known values leaves out its resources and its Fn::If branches', () => {
  const out = specialize(template, { parameters: { Owners: '', Retention: '30', Regions: '' }, pseudo: {} });
  expect(Object.keys(out.Resources)).toEqual(['Group', 'Role']);
  expect(out.Resources.Role.Properties?.Statements).toEqual(['always']);
  expect(out.Conditions).toEqual({});
});

test('known parameters are written in: a Number as a number, a Sub with nothing left as its text', () => {
  const out = specialize(template, { parameters: { Owners: '111111111111', Retention: '30', Regions: '' }, pseudo: {} });
  expect(out.Resources.Group.Properties?.RetentionInDays).toBe(30);
  expect(out.Resources.Policy).toEqual({ Type: 'AWS::Events::EventBusPolicy', Properties: { StatementId: 'x-111111111111' } });
  expect(out.Resources.Role.Properties).toEqual({ Statements: ['always', 'owners'], Text: 'a-${Literal}' });
  expect(out.Parameters).toEqual({});
});

test('what depends on the region of an environment-agnostic stack stays a condition, once, without its decided parts', () => {
  const out = specialize(template, { parameters: { Owners: '', Retention: '30', Regions: 'us-east-1' }, pseudo: {} });
  // ForwardAny is left with ToFirst alone: it is ToFirst, and within it ToFirst holds.
  expect(out.Conditions).toEqual({ ToFirst: { 'Fn::Not': [{ 'Fn::Equals': ['us-east-1', { Ref: 'AWS::Region' }] }] } });
  expect(out.Resources.Rule).toEqual({
    Type: 'AWS::Events::Rule',
    Condition: 'ToFirst',
    Properties: { Name: 'forward', Targets: ['first'] },
  });
});

test('a known region decides it', () => {
  const forwarded = specialize(template, {
    parameters: { Owners: '', Retention: '30', Regions: 'us-east-1' },
    pseudo: { 'AWS::Region': 'eu-west-1' },
  });
  expect(forwarded.Resources.Rule).toEqual({ Type: 'AWS::Events::Rule', Properties: { Name: 'forward', Targets: ['first'] } });
  const skipped = specialize(template, {
    parameters: { Owners: '', Retention: '30', Regions: 'us-east-1' },
    pseudo: { 'AWS::Region': 'us-east-1' },
  });
  expect(skipped.Resources.Rule).toBeUndefined();
});

test('an unknown parameter (a token) stays a parameter and its condition stays', () => {
  const out = specialize(template, { parameters: { Retention: '30', Regions: '' }, pseudo: {} });
  expect(Object.keys(out.Parameters ?? {})).toEqual(['Owners']);
  expect(out.Resources.Policy.Condition).toBe('HasOwners');
  expect(out.Conditions).toEqual({ HasOwners: template.Conditions?.HasOwners });
});

test('the outputs are left to the construct', () => {
  expect(specialize(template, { parameters: { Owners: '', Retention: '30', Regions: '' }, pseudo: {} }).Outputs).toBeUndefined();
});

test('refuses a template whose left-out resource is still referenced', () => {
  const broken: Template = {
    Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
    Resources: {
      Gone: { Type: 'AWS::SQS::Queue', Condition: 'Never' },
      User: { Type: 'AWS::SNS::Topic', Properties: { Q: { Ref: 'Gone' } } },
    },
  };
  expect(() => specialize(broken, { parameters: {}, pseudo: {} })).toThrow('resources left out are still referenced: Gone');
});

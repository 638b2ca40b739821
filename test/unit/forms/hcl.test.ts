/**
 * CloudFormation values and intrinsic functions -> Terraform expressions (scripts/forms/hcl.ts):
 * each function the behaviour template uses, and a clear error for one it does not translate.
 */
import { type HclContext, hcl } from '../../../scripts/forms/hcl';

const ctx: HclContext = {
  parameter: (name) =>
    (
      ({
        Name: { variable: 'var.name', type: 'string' },
        Owners: { variable: 'var.owners', type: 'list' },
        Concurrency: { variable: 'var.concurrency', type: 'number' },
        DryRun: { variable: 'var.dry_run', type: 'boolean' },
      }) as const
    )[name as 'Name'],
  resource: (id, attribute) =>
    ({ Table: { undefined: 'aws_dynamodb_table.table.name', Arn: 'aws_dynamodb_table.table.arn' } })[id as 'Table']?.[
      String(attribute) as 'Arn'
    ],
  condition: (name) => (name === 'HasOwners' ? 'local.has_owners' : undefined),
};

test.each([
  ['a string, with template sequences kept literal', 'a "b" ${c} %{d}', '"a \\"b\\" $${c} %%{d}"'],
  ['a number', 512, '512'],
  ['a list', ['a', 'b'], '["a", "b"]'],
  ['a string parameter', { Ref: 'Name' }, 'var.name'],
  ['a list parameter, comma-separated as CloudFormation passes it', { Ref: 'Owners' }, 'join(",", var.owners)'],
  ['a pseudo parameter', { Ref: 'AWS::Region' }, 'data.aws_region.current.name'],
  ["a resource's Ref", { Ref: 'Table' }, 'aws_dynamodb_table.table.name'],
  ["a resource's attribute", { 'Fn::GetAtt': ['Table', 'Arn'] }, 'aws_dynamodb_table.table.arn'],
  [
    'a Sub of parameters and attributes',
    { 'Fn::Sub': 'arn:${AWS::Partition}:x:${Name}/${Table.Arn}' },
    '"arn:${data.aws_partition.current.partition}:x:${var.name}/${aws_dynamodb_table.table.arn}"',
  ],
  ['a Sub of one variable', { 'Fn::Sub': '${Name}' }, 'var.name'],
  ['a Sub with its own variables', { 'Fn::Sub': ['x-${V}', { V: { Ref: 'Name' } }] }, '"x-${var.name}"'],
  ['an escaped Sub sequence', { 'Fn::Sub': '${!Literal}-${Name}' }, '"$${Literal}-${var.name}"'],
  [
    'a Join of strings, as one template',
    { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'events']] },
    '"arn:${data.aws_partition.current.partition}:events"',
  ],
  ['a Join of a list', { 'Fn::Join': [',', { 'Fn::Split': [';', { Ref: 'Name' }] }] }, 'join(",", split(";", var.name))'],
  ['a Select of a Split', { 'Fn::Select': [1, { 'Fn::Split': [',', { Ref: 'Name' }] }] }, 'split(",", var.name)[1]'],
  ['an If between strings', { 'Fn::If': ['HasOwners', 'a', 'b'] }, '(local.has_owners ? "a" : "b")'],
  ['an If with AWS::NoValue', { 'Fn::If': ['HasOwners', 'a', { Ref: 'AWS::NoValue' }] }, '(local.has_owners ? "a" : null)'],
  [
    'an If between objects of different shapes, through JSON',
    { 'Fn::If': ['HasOwners', { A: 'x' }, { B: ['y'] }] },
    'jsondecode(local.has_owners ? jsonencode({\nA = "x"\n}) : jsonencode({\nB = ["y"]\n}))',
  ],
  [
    'a list holding AWS::NoValue, filtered',
    ['a', { 'Fn::If': ['HasOwners', 'b', { Ref: 'AWS::NoValue' }] }],
    '[for v in ["a", (local.has_owners ? "b" : null)] : v if v != null]',
  ],
  ['an Equals of a number, as text', { 'Fn::Equals': [{ Ref: 'Concurrency' }, '0'] }, '(tostring(var.concurrency) == "0")'],
  ['a Not of an Equals', { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Name' }, ''] }] }, '(var.name != "")'],
  [
    'an And of conditions',
    { 'Fn::And': [{ Condition: 'HasOwners' }, { 'Fn::Equals': [{ Ref: 'DryRun' }, 'true'] }] },
    '(local.has_owners && (tostring(var.dry_run) == "true"))',
  ],
  [
    'an object with keys that are not identifiers',
    { 'aws:SourceArn': 'x', Effect: 'Allow' },
    '{\n"aws:SourceArn" = "x"\nEffect = "Allow"\n}',
  ],
])('translates %s', (_, node, code) => {
  expect(hcl(node, ctx, 'Test').code).toBe(code);
});

test('a multi-line Sub ending in a newline becomes a heredoc, its sequences escaped', () => {
  expect(hcl({ 'Fn::Sub': '{\n  "a": "${Name}", "b": "%{x}"\n}\n' }, ctx, 'Test').code).toBe(
    '<<EOT\n{\n  "a": "${var.name}", "b": "%%{x}"\n}\nEOT\n',
  );
});

test.each([
  [
    'a function it has no translation for',
    { 'Fn::FindInMap': ['M', 'k', 'v'] },
    /Test.Fn::FindInMap: Fn::FindInMap has no Terraform translation/,
  ],
  [
    'a pseudo parameter it has no translation for',
    { Ref: 'AWS::StackName' },
    /pseudo parameter AWS::StackName has no Terraform translation/,
  ],
  ['a Ref to nothing', { Ref: 'Missing' }, /Ref to Missing, which is neither a parameter nor a resource/],
  ['an attribute it has no mapping for', { 'Fn::GetAtt': ['Table', 'StreamArn'] }, /no Terraform attribute for Table.StreamArn/],
  ['a condition that does not exist', { 'Fn::If': ['Nope', 'a', 'b'] }, /no condition Nope/],
])('refuses %s, naming it', (_, node, error) => {
  expect(() => hcl(node, ctx, 'Test')).toThrow(error);
});

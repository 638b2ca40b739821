/**
 * The Terraform module generated from the behaviour definition (scripts/forms/terraform.ts): what a
 * CloudFormation construct becomes, and a generation that stops, naming what it cannot translate,
 * instead of dropping it.
 */
import type { Behaviour } from '../../../scripts/forms/behaviour';
import { terraformModule } from '../../../scripts/forms/terraform';
import type { CfnTemplate } from '../../../scripts/org/member-template';

function behaviour(template: Partial<CfnTemplate>): Behaviour {
  return {
    service: 'ecs-secret-redeploy',
    parameters: [{ key: 'owners', cfn: 'Owners', tf: 'owners', type: 'list', default: '', description: 'Owners.', env: [] }],
    template: { Resources: {}, ...template },
    bundles: {},
  };
}

const queue = { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q' } };

test('a resource under a condition gets a count, and what reads it reads its one instance', () => {
  const { files } = terraformModule(
    behaviour({
      Conditions: { HasOwners: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Owners' }, ''] }] } },
      Resources: {
        Queue: { ...queue, Condition: 'HasOwners' },
        Topic: { Type: 'AWS::SNS::Topic', Condition: 'HasOwners', Properties: { DisplayName: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      },
    }),
  );
  expect(files['main.tf']).toContain('has_owners = (join(",", var.owners) != "")');
  expect(files['main.tf']).toContain('count = local.has_owners ? 1 : 0');
  expect(files['main.tf']).toContain('display_name = one(aws_sqs_queue.queue[*].arn)');
});

test("a rule's targets under Fn::If [condition, target, AWS::NoValue] are targets with a count", () => {
  const { files } = terraformModule(
    behaviour({
      Conditions: { HasOwners: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Owners' }, ''] }] } },
      Resources: {
        Queue: queue,
        Rule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            Name: 'r',
            ScheduleExpression: 'rate(1 hour)',
            Targets: [
              { Id: 'always', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
              { 'Fn::If': ['HasOwners', { Id: 'owners', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } }, { Ref: 'AWS::NoValue' }] },
            ],
          },
        },
      },
    }),
  );
  expect(files['main.tf']).toMatch(
    /resource "aws_cloudwatch_event_target" "rule_1" \{\nrule = aws_cloudwatch_event_rule.rule.name\ntarget_id = "always"/,
  );
  expect(files['main.tf']).toMatch(/resource "aws_cloudwatch_event_target" "rule_2" \{\ncount = local.has_owners \? 1 : 0/);
});

test('a list setting is a list(string) variable, validated as the comma-separated text CloudFormation checks', () => {
  const b = behaviour({ Resources: { Queue: queue } });
  b.parameters[0].allowedPattern = '^([0-9]{12}(,[0-9]{12})*)?$';
  const { files } = terraformModule(b);
  expect(files['variables.tf']).toContain('type = list(string)');
  expect(files['variables.tf']).toContain('condition = can(regex("^([0-9]{12}(,[0-9]{12})*)?$", join(",", var.owners)))');
});

test.each([
  [
    'a property it does not map',
    { Queue: { ...queue, Properties: { QueueName: 'q', FifoQueue: true } } },
    'Queue.Properties: FifoQueue has no Terraform translation',
  ],
  ['a resource type it does not map', { Bucket: { Type: 'AWS::S3::Bucket' } }, 'Bucket: AWS::S3::Bucket has no Terraform mapping'],
  [
    'a resource attribute it does not translate',
    { Queue: { ...queue, DeletionPolicy: 'Retain' } },
    'Queue: the resource attribute DeletionPolicy has no Terraform translation',
  ],
])('refuses %s, naming it', (_, resources, error) => {
  expect(() => terraformModule(behaviour({ Resources: resources as CfnTemplate['Resources'] }))).toThrow(error);
});

/**
 * The cdk-nag (AwsSolutions) findings the construct accepts, each with its reason, recorded with
 * CDK's own Validations.of().acknowledge() (what cdk-nag v3 reads), so that an application that
 * runs the rule pack sees only its own findings. test/stack/forms-cdk.test.ts applies the pack:
 * a finding without an acknowledgement here (a new wildcard statement, a new resource) fails it.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnInclude } from 'aws-cdk-lib/cloudformation-include';

export interface Acknowledgement {
  id: string;
  reason: string;
}

const RUNTIME =
  'The runtime is pinned to nodejs22.x (serverless.yml provider.runtime), the runtime the bundles are built and tested for; it moves with the whole deployment, not per form';

/** Findings on one resource of the template (by logical id). */
const RESOURCE_ACKNOWLEDGEMENTS: Record<string, Acknowledgement[]> = {
  OnSecretChangeLambdaFunction: [{ id: 'AwsSolutions-L1', reason: RUNTIME }],
  RedeploySecretLambdaFunction: [{ id: 'AwsSolutions-L1', reason: RUNTIME }],
  RefreshIndexLambdaFunction: [{ id: 'AwsSolutions-L1', reason: RUNTIME }],
  DeadLetterQueue: [
    {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of every rule target and function; a queue behind it would only move the same messages',
    },
  ],
  AlarmTopic: [
    {
      id: 'AwsSolutions-SNS3',
      reason:
        "The topic's publishers are this stack's CloudWatch alarms, which call SNS over TLS; the topic carries alarm state changes, never a secret",
    },
  ],
};

/**
 * Why a statement (by Sid, in infra/iam.yml) names a resource with a wildcard. Each wildcard
 * resource of an Allow statement is one finding (AwsSolutions-IAM5[Resource::...]).
 */
const WILDCARD_REASONS: Record<string, string> = {
  Logs: "Lambda names the log streams at run time; the grant covers the function's own log group only",
  DescribeSecretsInAnyRegionOfTheAccount:
    'A task definition may reference any secret of the account, in any region (the set is known only from the index); DescribeSecret and ListSecretVersionIds return metadata, never a value',
  ReadOwnerSecrets:
    'The read role is named; the account is restricted by the aws:ResourceAccount (or aws:ResourceOrgID) condition, as IAM role ARNs name no region',
  ParameterVersionsNotValues: 'IAM does not scope ssm:DescribeParameters to a resource; it returns versions and dates, never values',
  EcsServices:
    'Any service of the account may use a changed secret; which ones is known only at run time from the index (the CLUSTERS setting narrows them)',
  EcsServiceDeployments: "The deployment records of the services this deployment redeployed; their ARNs are ECS's, known only at run time",
  EcsTasks: "Standalone tasks that use a secret are listed in the report; their ARNs are ECS's, known only at run time",
  EcsActionsWithoutResourceScope:
    'IAM does not scope ecs:DescribeTaskDefinition, ListClusters, ListServices or ListTasks to a resource (Service Authorization Reference)',
  CodeDeployApplications:
    'IAM does not scope codedeploy:ListApplications to a resource (Service Authorization Reference); it returns application names',
  CodeDeployApplicationGroups:
    "The CodeDeploy application of a CODE_DEPLOY service is found at run time (the group whose ecsServices names it); this account and region's applications only, read-only",
  CodeDeployGroupsAndDeployments:
    "A CODE_DEPLOY service's deployment group and its deployments are known only at run time; this account and region's groups only, read-only",
  RedeployThroughCodeDeployGroups:
    "CreateDeployment in the group that deploys a CODE_DEPLOY service, known only at run time; this account and region's groups only, and absent when codeDeployRedeploys is false or in a dry run",
  CodeDeployCreateDeploymentDependencies:
    "What CodeDeploy checks on CreateDeployment's caller: the group's deployment configuration (any, built-in ones included) and the application's AppSpecContent revision; this account and region's only, absent with CreateDeployment",
  ScheduleWakeups:
    "The one-time reconciles are named when a held consumer is planned (esr-<instant>-<hash>); the grant is this service's names in the account's default schedule group only, and Scheduler runs them as a role that may only invoke the reconciler",
};

/** Acknowledges the template's accepted findings on the included resources. */
export function acknowledgeFindings(included: CfnInclude, logicalIds: string[]): void {
  for (const id of logicalIds) {
    const resource = included.getResource(id);
    for (const acknowledgement of RESOURCE_ACKNOWLEDGEMENTS[id] ?? []) Validations.of(resource).acknowledge(acknowledgement);
    if (resource.cfnResourceType !== 'AWS::IAM::Role') continue;
    // Resolved as cdk-nag resolves them: the CfnRole's props (policyDocument), whose documents are plain JSON.
    const policies = (Stack.of(resource).resolve((resource as unknown as { policies?: unknown }).policies) ?? []) as Array<{
      policyDocument?: { Statement?: unknown[] };
    }>;
    for (const policy of policies) {
      for (const statement of policy.policyDocument?.Statement ?? []) {
        for (const finding of wildcardFindings(statement)) {
          const reason = WILDCARD_REASONS[finding.sid];
          if (reason) Validations.of(resource).acknowledge({ id: finding.id, reason });
        }
      }
    }
  }
}

/**
 * The IAM5 findings of one statement, named as cdk-nag names them: an Allow statement's resources
 * that hold a `*`, flattened (Fn::Sub's `${X}` -> `<X>`, Ref -> `<X>`, Fn::GetAtt -> `<X.Y>`,
 * Fn::Join joined). A statement under Fn::If is not a statement to cdk-nag, and is skipped as it is.
 */
function wildcardFindings(statement: unknown): Array<{ sid: string; id: string }> {
  const s = statement as { Effect?: string; Sid?: string; Resource?: unknown };
  if (s?.Effect !== 'Allow') return [];
  const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
  return resources
    .map(flatten)
    .filter((r) => r.includes('*'))
    .map((r) => ({ sid: s.Sid ?? '', id: `AwsSolutions-IAM5[Resource::${r}]` }));
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const n = node as Record<string, unknown>;
  if (n['Fn::Join']) {
    const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (n['Fn::Sub']) return flatten(n['Fn::Sub']);
  if (n['Fn::GetAtt']) {
    const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (n['Fn::ImportValue']) return flatten(n['Fn::ImportValue']);
  if (n.Ref) return `<${flatten(n.Ref)}>`;
  return JSON.stringify(node);
}

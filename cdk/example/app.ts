/**
 * A CDK app with ecs-secret-redeploy in it: the construct, its alarms by e-mail, the manual
 * redeploy granted to an operators' role, and a rule that pages on a halted rollout.
 *
 *   npm run package                                  # the bundles, in .serverless/
 *   npx cdk synth --app 'npx tsx cdk/example/app.ts' # or any TypeScript runner
 *
 * In an application of your own, import from 'ecs-secret-redeploy-cdk' and leave bundlesDir out
 * (the package carries its bundles).
 */
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { EcsSecretRedeploy } from '../src';

export function exampleApp(bundlesDir = path.join(__dirname, '../../.serverless'), outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const stack = new Stack(app, 'EcsSecretRedeployProd', { env: { region: 'eu-west-1' } });

  const redeploy = new EcsSecretRedeploy(stack, 'EcsSecretRedeploy', {
    name: 'ecs-secret-redeploy-prod',
    clusters: ['prod-a', 'prod-b'],
    reconcileSchedule: 'rate(15 minutes)',
    bundlesDir,
  });

  redeploy.alarmTopic.addSubscription(new subscriptions.EmailSubscription('platform-oncall@example.com'));

  const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
  redeploy.grantInvokeRedeploySecret(operators);
  redeploy.grantReadState(operators);

  const pager = new sns.Topic(stack, 'Pager');
  redeploy.onEvent('RolloutHalted', { detailTypes: ['Rollout Halted'], target: new targets.SnsTopic(pager) });
  return app;
}

if (require.main === module) exampleApp().synth();

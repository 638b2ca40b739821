/**
 * The whole ecs-secret-redeploy deployment as one construct: the three functions (from the bundles
 * `npm run package` builds, never bundled at synthesis), their roles, rules and schedules, the
 * state table, the dead-letter queue, the alarms and the dashboard.
 *
 * The resources are those of behaviour.json, the template generated from serverless.yml and
 * infra/ (`npm run forms`), included with CfnInclude: the construct adds no resource and changes
 * only each function's Code (to its asset), so the stack it synthesizes is the one the Serverless
 * Framework deploys. The props are the
 * stack's parameters; what synthesis knows of them is decided here (specialize.ts), the rest by
 * CloudFormation.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { Construct } from 'constructs';
import behaviour from './behaviour.json';
import { acknowledgeFindings } from './nag-suppressions';
import type { EcsSecretRedeploySettings } from './settings.generated';
import { specialize, type Template } from './specialize';

export interface EcsSecretRedeployProps extends EcsSecretRedeploySettings {
  /**
   * Directory holding the function bundles (onSecretChange.zip, redeploySecret.zip,
   * refreshIndex.zip): `npm run package` writes them to .serverless/.
   * @default - the bundles shipped in this package (its bundles/ directory)
   */
  readonly bundlesDir?: string;
}

/** The source every ecs-secret-redeploy event on the notification bus carries (docs/events.md). */
export const EVENT_SOURCE = 'ecs-secret-redeploy';

// The behaviour template's code parameters (scripts/forms/behaviour.ts; this package stands alone).
const BUNDLES_BUCKET = 'BundlesBucket';
const BUNDLES_KEY_PREFIX = 'BundlesKeyPrefix';

const FUNCTIONS = {
  onSecretChange: 'OnSecretChangeLambdaFunction',
  redeploySecret: 'RedeploySecretLambdaFunction',
  refreshIndex: 'RefreshIndexLambdaFunction',
} as const;

interface Setting {
  key: string;
  cfn: string;
  type: 'string' | 'number' | 'boolean' | 'list';
  default: string;
  allowedPattern?: string;
  allowedValues?: string[];
  maxLength?: number;
}

export class EcsSecretRedeploy extends Construct {
  /** The reconciler: secret and parameter events, deployment events, the schedule. */
  public readonly onSecretChange: lambda.IFunction;
  /** The manual request: `{"secretId": "...", "dryRun": true}` -> report. */
  public readonly redeploySecret: lambda.IFunction;
  /** Keeps the secret -> services index current (schedule and ECS deployment events). */
  public readonly refreshIndex: lambda.IFunction;
  /** The index, the revision cache and the ledger (the CLI's STATE_TABLE). */
  public readonly stateTable: dynamodb.ITable;
  /** Events that failed after every retry. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The topic the alarms notify: subscribe to it. */
  public readonly alarmTopic: sns.ITopic;
  /** The bus that gets one event per completed run (`source: ecs-secret-redeploy`). */
  public readonly notificationBus: events.IEventBus;
  /** The CloudWatch dashboard: the tool's metrics, the functions' health, the dead-letter queue. */
  public readonly dashboardName: string;
  /** The included template, for access to any resource by its logical id in behaviour.json. */
  public readonly resources: CfnInclude;

  constructor(scope: Construct, id: string, props: EcsSecretRedeployProps = {}) {
    super(scope, id);
    const settings = behaviour.parameters as Setting[];
    const values = Object.fromEntries(settings.map((s) => [s.cfn, parameterValue(s, (props as Record<string, unknown>)[s.key])]));
    const stack = Stack.of(this);
    const pseudo = Object.fromEntries(
      [
        ['AWS::Region', stack.region],
        ['AWS::AccountId', stack.account],
        ['AWS::Partition', stack.partition],
      ].filter(([, v]) => !Token.isUnresolved(v)),
    );
    const literal = Object.fromEntries(Object.entries(values).filter(([, v]) => !Token.isUnresolved(v)));
    const tokens = Object.fromEntries(Object.entries(values).filter(([, v]) => Token.isUnresolved(v)));
    // Each function's code is set to its own asset below.
    const known = { ...literal, [BUNDLES_BUCKET]: '', [BUNDLES_KEY_PREFIX]: '' };
    const template = specialize(behaviour.template as unknown as Template, { parameters: known, pseudo });

    const bundlesDir = props.bundlesDir ?? path.join(__dirname, '..', 'bundles');
    const bundles = behaviour.bundles as Record<string, string>;
    for (const file of Object.values(bundles)) {
      if (!fs.existsSync(path.join(bundlesDir, file))) {
        throw new Error(`EcsSecretRedeploy: no ${file} in ${bundlesDir}; build the bundles with \`npm run package\` and pass bundlesDir`);
      }
    }
    const assets = Object.fromEntries(
      Object.entries(bundles).map(([logicalId, file]) => [
        logicalId,
        new Asset(this, file.replace(/\.zip$/, ''), { path: path.join(bundlesDir, file) }),
      ]),
    );

    this.resources = includeTemplate(this, template, tokens);
    for (const [logicalId, asset] of Object.entries(assets)) {
      const fn = this.resources.getResource(logicalId) as lambda.CfnFunction;
      fn.code = { s3Bucket: asset.s3BucketName, s3Key: asset.s3ObjectKey };
      asset.addResourceMetadata(fn, 'Code');
    }
    acknowledgeFindings(this.resources, Object.keys(template.Resources));

    const fn = (logicalId: string) => {
      const cfn = this.resources.getResource(logicalId) as lambda.CfnFunction;
      return lambda.Function.fromFunctionAttributes(this, `${logicalId}Ref`, { functionArn: cfn.attrArn, sameEnvironment: true });
    };
    this.onSecretChange = fn(FUNCTIONS.onSecretChange);
    this.redeploySecret = fn(FUNCTIONS.redeploySecret);
    this.refreshIndex = fn(FUNCTIONS.refreshIndex);
    const table = this.resources.getResource('StateTable') as dynamodb.CfnTable;
    this.stateTable = dynamodb.Table.fromTableAttributes(this, 'StateTableRef', { tableArn: table.attrArn });
    const queue = this.resources.getResource('DeadLetterQueue') as sqs.CfnQueue;
    this.deadLetterQueue = sqs.Queue.fromQueueAttributes(this, 'DeadLetterQueueRef', {
      queueArn: queue.attrArn,
      queueUrl: queue.ref,
      queueName: queue.attrQueueName,
    });
    this.alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopicRef', (this.resources.getResource('AlarmTopic') as sns.CfnTopic).ref);
    this.notificationBus = events.EventBus.fromEventBusName(this, 'NotificationBusRef', values.NotificationBus);
    this.dashboardName = this.resources.getResource('Dashboard').ref;
  }

  /** Lets a principal run the manual request (lambda:InvokeFunction on redeploy-secret). */
  public grantInvokeRedeploySecret(grantee: iam.IGrantable): iam.Grant {
    return this.redeploySecret.grantInvoke(grantee);
  }

  /** Lets a principal read the state table (the CLI's `status`, `index show`, `secrets`). */
  public grantReadState(grantee: iam.IGrantable): iam.Grant {
    return this.stateTable.grantReadData(grantee);
  }

  /**
   * A rule on the notification bus for this deployment's events (docs/events.md), for example
   * `onEvent('Halted', { detailTypes: ['Rollout Halted'], target: new targets.SnsTopic(topic) })`.
   */
  public onEvent(id: string, options: events.OnEventOptions & { detailTypes?: string[] } = {}): events.Rule {
    const { detailTypes, eventPattern, ...rest } = options;
    return new events.Rule(this, id, {
      ...rest,
      eventBus: this.notificationBus,
      eventPattern: { ...eventPattern, source: [EVENT_SOURCE], ...(detailTypes ? { detailType: detailTypes } : {}) },
    });
  }
}

/** A prop -> the string CloudFormation would pass for its parameter, checked as the parameter would check it. */
function parameterValue(setting: Setting, prop: unknown): string {
  if (prop === undefined) return setting.default;
  let value: string;
  if (setting.type === 'list') {
    if (!Array.isArray(prop) && !Token.isUnresolved(prop)) throw new Error(`EcsSecretRedeploy: ${setting.key} must be a list of strings`);
    const list = prop as string[];
    // CloudFormation's comma-separated string; a list token (or a token in it) is joined at deploy time.
    value = Token.isUnresolved(list) || list.some((item) => Token.isUnresolved(item)) ? Fn.join(',', list) : list.join(',');
  } else if (setting.type === 'number') {
    if (typeof prop !== 'number') throw new Error(`EcsSecretRedeploy: ${setting.key} must be a number`);
    value = Token.isUnresolved(prop) ? Token.asString(prop) : String(prop);
  } else if (setting.type === 'boolean') {
    if (typeof prop !== 'boolean') throw new Error(`EcsSecretRedeploy: ${setting.key} must be true or false`);
    value = String(prop);
  } else {
    if (typeof prop !== 'string') throw new Error(`EcsSecretRedeploy: ${setting.key} must be a string`);
    value = prop;
  }
  if (Token.isUnresolved(value)) return value;
  if (setting.allowedPattern && !new RegExp(setting.allowedPattern).test(value)) {
    throw new Error(`EcsSecretRedeploy: ${setting.key} "${value}" does not match ${setting.allowedPattern}`);
  }
  if (setting.allowedValues && !setting.allowedValues.includes(value)) {
    throw new Error(`EcsSecretRedeploy: ${setting.key} "${value}" is not one of ${setting.allowedValues.join(', ')}`);
  }
  if (setting.maxLength !== undefined && value.length > setting.maxLength) {
    throw new Error(`EcsSecretRedeploy: ${setting.key} "${value}" is longer than ${setting.maxLength} characters`);
  }
  return value;
}

/** CfnInclude reads a file: the specialized template goes through a temporary one. */
function includeTemplate(scope: Construct, template: Template, parameters: Record<string, string>): CfnInclude {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecs-secret-redeploy-cdk-'));
  try {
    const file = path.join(dir, 'template.json');
    fs.writeFileSync(file, JSON.stringify(template));
    return new CfnInclude(scope, 'Resources', { templateFile: file, preserveLogicalIds: false, parameters });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One behaviour in every install form: the packaged Serverless stack, the CDK construct's
 * synthesis, the SAM template (after the SAM transform) and the Terraform module's plan, each read
 * into one model (forms.ts) and compared: per function the IAM statements of its role, the
 * environment, memory, timeout, reserved concurrency and asynchronous invoke settings; the rules'
 * patterns, schedules and targets; the table's keys, TTL and recovery; the queue, topic, alarms,
 * dashboard, log groups, bus policy and permissions.
 *
 * Three deployments: every setting at its default; every setting changed (forwarding to other
 * regions, a central bus, secret owners by account); secret owners as the organization. Every
 * setting takes a non-default value in one of them, so a setting that one form ignores or wires
 * differently shows as a difference. The Serverless stack is packaged again for the changed
 * settings (the framework bakes them in at packaging time).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { load } from 'js-yaml';
import { EcsSecretRedeploy } from '../../cdk/src';
import behaviourFile from '../../cdk/src/behaviour.json';
import { type ParameterType, packageCopy, snakeCase } from '../../scripts/forms/behaviour';
import { SAM_TEMPLATE } from '../../scripts/forms/sam';
import { terraformModule } from '../../scripts/forms/terraform';
import {
  ACCOUNT,
  cfnModel,
  copyBundles,
  type Model,
  type PlannedResource,
  REGION,
  reference,
  removeTempDirs,
  samTransform,
  tempDir,
  terraform,
  terraformInit,
  terraformModel,
} from './forms';
import { ensurePackaged, type Json, ROOT, type Template } from './template';

type Setting = (typeof behaviourFile.parameters)[number];
const SETTINGS: Setting[] = behaviourFile.parameters;

/**
 * Changed values of the settings that are not numbers or booleans (those get default + 1 and the
 * other truth value). A new string setting needs a value here: the test fails until it has one.
 */
const CHANGED: Record<string, string> = {
  clusters: 'prod-a,prod-b',
  notificationBus: 'ops',
  indexSchedule: 'rate(2 hours)',
  reconcileSchedule: 'cron(0/15 * * * ? *)',
  centralEventBusArn: `arn:aws:events:${REGION}:999999999999:event-bus/central`,
  // This region (eu-west-1) is skipped: two forwarding targets.
  forwardSecretEventsTo: `us-east-1,${REGION},eu-central-1`,
  secretOwners: '111111111111,222222222222',
  ownerReadRole: 'owner-read',
  logLevel: 'DEBUG',
  defaultRestartWindow: 'Mon-Fri 22:00-04:00 Europe/Berlin',
  defaultRestartDeadline: '7d',
  chatTopic: 'create',
  tableEncryption: 'aws-managed',
  // CloudWatch Logs takes a fixed set of retention periods.
  logRetentionInDays: '60',
};
/** Only meaningful with secretOwners = organization: changed in the third deployment. */
const ORGANIZATION: Record<string, string> = { secretOwners: 'organization', organizationId: 'o-abcdefghij' };

function changed(setting: Setting): string {
  if (setting.key in CHANGED) return CHANGED[setting.key];
  if (setting.type === 'number') return String(Number(setting.default) + 1);
  if (setting.type === 'boolean') return String(setting.default !== 'true');
  throw new Error(`no changed value for the setting ${setting.key}: add one to CHANGED`);
}

interface Deployment {
  label: string;
  /** Settings by serverless.yml key (name: <service>-<stage>). */
  values: Record<string, string>;
  stage: string;
}

const defaults = Object.fromEntries(SETTINGS.map((s) => [s.key, s.default]));
// The Serverless stack names itself after service and stage, and takes organizationId only in the third deployment.
const custom = Object.fromEntries(SETTINGS.filter((s) => s.key !== 'name' && s.key !== 'organizationId').map((s) => [s.key, changed(s)]));
const DEPLOYMENTS: Deployment[] = [
  { label: 'defaults', stage: 'ci', values: { ...defaults, name: 'ecs-secret-redeploy-ci' } },
  { label: 'changed', stage: 'parity', values: { ...defaults, ...custom, name: 'ecs-secret-redeploy-parity' } },
  { label: 'organization', stage: 'parity', values: { ...defaults, ...custom, ...ORGANIZATION, name: 'ecs-secret-redeploy-parity' } },
];

const cfnParameters = (values: Record<string, string>) => Object.fromEntries(SETTINGS.map((s) => [s.cfn, values[s.key]]));

let bundles: string;

beforeAll(() => {
  bundles = copyBundles(path.join(tempDir('parity'), 'bundles'));
}, 300_000);

afterAll(removeTempDirs);

test('every setting takes a changed value in some deployment', () => {
  const exercised = SETTINGS.filter((s) => DEPLOYMENTS.some((d) => d.values[s.key] !== s.default)).map((s) => s.key);
  expect(exercised.sort()).toEqual(SETTINGS.map((s) => s.key).sort());
});

describe.each(DEPLOYMENTS)('with $label settings', (deployment) => {
  test('the Serverless stack has only its deployment bucket besides', () => {
    // The framework's own bucket, where it uploads the code: each other form keeps the code its own way.
    expect(serverless(deployment).others).toEqual([
      'ServerlessDeploymentBucket (AWS::S3::Bucket)',
      'ServerlessDeploymentBucketPolicy (AWS::S3::BucketPolicy)',
    ]);
  }, 240_000);

  test('the CDK construct synthesizes the same deployment', () => {
    const app = new App({ outdir: tempDir('parity-cdk') });
    const stack = new Stack(app, 'Parity');
    const construct = new EcsSecretRedeploy(stack, 'EcsSecretRedeploy', { ...cdkProps(deployment.values), bundlesDir: bundles });
    const originals = new Map<string, string>();
    for (const id of Object.keys(behaviourFile.template.Resources)) {
      try {
        originals.set(stack.getLogicalId(construct.resources.getResource(id) as CfnElement), id);
      } catch {
        // left out: its condition is false for these settings
      }
    }
    const template = app.synth().getStackArtifact(stack.artifactId).template as Template;
    const model = cfnModel(template, {}, (id) => originals.get(id) ?? id);
    expect(model).toEqual(expected(deployment));
  }, 240_000);

  test('the SAM template, transformed, deploys the same', () => {
    const sam = load(fs.readFileSync(path.join(ROOT, SAM_TEMPLATE), 'utf8')) as Json;
    const parameters = cfnParameters(deployment.values);
    const model = cfnModel(samTransform(sam, parameters), parameters);
    expect(model).toEqual(expected(deployment));
  }, 240_000);
});

describe('the Terraform module', () => {
  let planned: Record<string, PlannedResource[]>;
  let logicalIdOf: (address: string) => string;

  beforeAll(() => {
    ({ planned, logicalIdOf } = terraformPlans(bundles));
  }, 300_000);

  test.each(DEPLOYMENTS)(
    'plans the same deployment with $label settings',
    (deployment) => {
      expect(terraformModel(planned[deployment.label], logicalIdOf)).toEqual(expected(deployment));
    },
    240_000,
  );
});

const serverlessModels = new Map<string, Model>();
let changedPackage: Template | undefined;

/** The packaged Serverless stack deployed with these settings (packaged again for changed ones). */
function serverless(deployment: Deployment): Model {
  const known = serverlessModels.get(deployment.label);
  if (known) return known;
  let template: Template;
  if (deployment.stage === 'ci') template = ensurePackaged().updateTemplate;
  else {
    changedPackage ??= packageCopy(ROOT, { stage: deployment.stage, fixed: custom }) as unknown as Template;
    template = changedPackage;
  }
  const model = cfnModel(template, cfnParameters(deployment.values));
  serverlessModels.set(deployment.label, model);
  return model;
}

/** What every other form must deploy: the Serverless stack, without its deployment bucket. */
function expected(deployment: Deployment): Model {
  return { ...serverless(deployment), others: [] };
}

function cdkProps(values: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    SETTINGS.map((s) => {
      const v = values[s.key];
      if (s.type === 'list') return [s.key, v === '' ? [] : v.split(',')];
      if (s.type === 'number') return [s.key, Number(v)];
      if (s.type === 'boolean') return [s.key, v === 'true'];
      return [s.key, v];
    }),
  );
}

/**
 * One `terraform test` run, a plan per deployment, against a mocked provider: the data sources
 * answer this account and region, and every attribute another resource reads (an ARN, a queue
 * URL, a role name) is overridden with the model's name for it, so the plan holds the references.
 */
function terraformPlans(bundlesDir: string): { planned: Record<string, PlannedResource[]>; logicalIdOf: (address: string) => string } {
  const module = terraformModule({
    service: 'ecs-secret-redeploy',
    parameters: SETTINGS.map((s) => ({ ...s, type: s.type as ParameterType, tf: snakeCase(s.key), description: '', env: [] })),
    template: behaviourFile.template as never,
    bundles: behaviourFile.bundles,
  });
  const dir = path.join(tempDir('parity-tf'), 'module');
  fs.cpSync(path.join(ROOT, 'infra/terraform'), dir, { recursive: true, filter: (source) => !source.includes('.terraform') });
  fs.rmSync(path.join(dir, 'tests'), { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'tests'));
  const computed = (type: string, attribute: string) =>
    ['arn', 'url', 'id', 'unique_id', 'stream_arn'].includes(attribute) || (type === 'aws_iam_role' && attribute === 'name');
  const overrides = module.resources
    .filter((r) => Object.keys(r.reads).some((a) => computed(r.tfType, a)))
    .map((r) => {
      const values = Object.entries(r.reads)
        .filter(([a]) => computed(r.tfType, a))
        .map(([a, cfn]) => {
          const [id, attribute] = cfn.split(/\.(.*)/s, 2);
          return `    ${a} = "${reference(id, attribute)}"`;
        });
      return `override_resource {\n  target          = ${r.address}\n  override_during = plan\n  values = {\n${values.join('\n')}\n  }\n}`;
    });
  const hcl = (s: Setting, v: string) => {
    if (s.type === 'list')
      return `[${
        v === ''
          ? ''
          : v
              .split(',')
              .map((x) => JSON.stringify(x))
              .join(', ')
      }]`;
    if (s.type === 'number' || s.type === 'boolean') return v;
    return JSON.stringify(v);
  };
  const runs = DEPLOYMENTS.map((d) => {
    const variables = SETTINGS.map((s) => `    ${snakeCase(s.key)} = ${hcl(s, d.values[s.key])}`);
    return `run "${d.label}" {\n  command = plan\n  variables {\n${variables.join('\n')}\n    bundles_dir = ${JSON.stringify(bundlesDir)}\n  }\n}`;
  });
  const mocks = [
    'mock_provider "aws" {',
    '  override_during = plan',
    `  mock_data "aws_caller_identity" {\n    defaults = { account_id = "${ACCOUNT}" }\n  }`,
    `  mock_data "aws_region" {\n    defaults = { name = "${REGION}" }\n  }`,
    '  mock_data "aws_partition" {\n    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }\n  }',
    '}',
  ];
  fs.writeFileSync(path.join(dir, 'tests/parity.tftest.hcl'), [...mocks, ...overrides, ...runs].join('\n\n'));
  terraformInit(dir);
  const { stdout } = terraform(['test', '-no-color', '-json', '-verbose'], dir);
  const planned: Record<string, PlannedResource[]> = {};
  for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const message = JSON.parse(line) as Json;
    if (message.type === 'test_run' && (message.test_run as Json).status && (message.test_run as Json).status !== 'pass') {
      throw new Error(`terraform test run ${(message.test_run as Json).run} ended ${(message.test_run as Json).status}:\n${stdout}`);
    }
    if (message.type !== 'test_plan') continue;
    const plan = message.test_plan as {
      resource_changes?: Array<{ address: string; type: string; mode: string; change: { after: Json } }>;
    };
    planned[String(message['@testrun'])] = (plan.resource_changes ?? [])
      .filter((c) => c.mode === 'managed')
      .map((c) => ({ address: c.address, type: c.type, values: c.change.after }));
  }
  const ids = new Map(module.resources.map((r) => [r.address, r.logicalId]));
  return {
    planned,
    logicalIdOf: (address) => {
      const id = ids.get(address.replace(/\[\d+\]$/, ''));
      if (!id) throw new Error(`no logical id for ${address}`);
      return id;
    },
  };
}

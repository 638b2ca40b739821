/**
 * The Serverless Application Repository application (infra/sam/template.yml): cfn-lint clean (it
 * runs the SAM transform offline), built of resource types SAR accepts, and running the bundles
 * `npm run package` builds. Its metadata's own rules: test/unit/forms/sar-metadata.test.ts; that
 * it deploys what the Serverless stack deploys: forms-parity.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { SAM_TEMPLATE } from '../../scripts/forms/sam';
import { BUNDLES, cfnLint } from './forms';
import { ensurePackaged, type Json, ROOT } from './template';

/**
 * The resource types SAR supports ("List of Supported AWS Resources", AWS Serverless Application
 * Repository Developer Guide, https://docs.aws.amazon.com/serverlessrepo/latest/devguide/list-supported-resources.html),
 * the part of the list this application could use.
 */
const SAR_SUPPORTED = new Set([
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::DynamoDB::Table',
  'AWS::Events::EventBusPolicy',
  'AWS::Events::Rule',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Policy',
  'AWS::IAM::Role',
  'AWS::KMS::Alias',
  'AWS::KMS::Key',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup',
  'AWS::Logs::MetricFilter',
  'AWS::SNS::Subscription',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::SSM::Parameter',
  'AWS::Serverless::Function',
]);

const file = path.join(ROOT, SAM_TEMPLATE);
const template = load(fs.readFileSync(file, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: Json }> };

test('cfn-lint finds nothing, the SAM transform included', () => {
  expect(cfnLint(file)).toBe('');
}, 180_000);

test('every resource is of a type SAR supports', () => {
  const types = [...new Set(Object.values(template.Resources).map((r) => r.Type))];
  expect(types.filter((t) => !SAR_SUPPORTED.has(t))).toEqual([]);
});

test('the functions run the bundles npm run package builds', () => {
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Serverless::Function');
  const codeUris = functions.map((f) => path.resolve(path.dirname(file), String(f.Properties?.CodeUri)));
  const { dir } = ensurePackaged();
  expect(codeUris.sort()).toEqual(BUNDLES.map((b) => path.join(dir, b)).sort());
}, 180_000);

test('the roles have no names of their own, so CAPABILITY_IAM suffices (no CAPABILITY_NAMED_IAM)', () => {
  const roles = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
  expect(roles.length).toBeGreaterThan(0);
  expect(roles.filter((r) => r.Properties?.RoleName !== undefined)).toEqual([]);
});

/**
 * The Serverless Application Repository metadata of infra/sam/template.yml keeps SAR's own rules
 * (scripts/forms/sar-metadata.ts cites them: the AWS SAM Developer Guide's "AWS SAM template
 * Metadata section properties", semver.org, the SPDX list), which cfn-lint does not check; and each
 * rule refuses what breaks it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { sarMetadataProblems } from '../../../scripts/forms/sar-metadata';

const ROOT = path.join(__dirname, '..', '..', '..');
const TEMPLATE = path.join(ROOT, 'infra/sam/template.yml');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string };
const context = { templateDir: path.dirname(TEMPLATE), packageVersion: pkg.version, packageLicense: pkg.license };
const metadata = ((load(fs.readFileSync(TEMPLATE, 'utf8')) as { Metadata: Record<string, unknown> }).Metadata[
  'AWS::ServerlessRepo::Application'
] ?? {}) as Record<string, unknown>;

test('the application metadata keeps every SAR rule', () => {
  expect(sarMetadataProblems(metadata, context)).toEqual([]);
});

test('the application carries the package version and its licence file', () => {
  expect(metadata.SemanticVersion).toBe(pkg.version);
  expect(metadata.SpdxLicenseId).toBe(pkg.license);
  expect(fs.existsSync(path.resolve(context.templateDir, String(metadata.LicenseUrl)))).toBe(true);
  expect(fs.existsSync(path.resolve(context.templateDir, String(metadata.ReadmeUrl)))).toBe(true);
});

test.each([
  ['a name with an underscore', { Name: 'ecs_secret_redeploy' }, /Name .* does not match/],
  ['a name of 141 characters', { Name: 'a'.repeat(141) }, /Name must be 1 to 140/],
  ['an empty description', { Description: '' }, /Description must be 1 to 256/],
  ['a description of 257 characters', { Description: 'x'.repeat(257) }, /Description must be 1 to 256/],
  ['an author with capitals', { Author: 'Platform Team' }, /Author .* does not match/],
  ['an author with a double hyphen', { Author: 'platform--team' }, /Author .* does not match/],
  ['an author ending in a hyphen', { Author: 'platform-' }, /Author .* does not match/],
  ['a version that is not semver', { SemanticVersion: '1.0' }, /SemanticVersion .* does not match/],
  ['a version other than the package', { SemanticVersion: '9.9.9' }, /is not the package's version/],
  ['eleven labels', { Labels: Array.from({ length: 11 }, (_, i) => `l${i}`) }, /at most 10 labels/],
  ['a label with a space', { Labels: ['secret rotation'] }, /label "secret rotation"/],
  ['another licence than the package', { SpdxLicenseId: 'MIT' }, /SpdxLicenseId MIT is not the package's licence/],
  ['a licence file that is not there', { LicenseUrl: 'NO-LICENSE' }, /LicenseUrl NO-LICENSE: no such file/],
  ['a readme that is not Markdown or text', { ReadmeUrl: '../../package.json' }, /ReadmeUrl must be a Markdown or text file/],
  ['a source address that is not https', { SourceCodeUrl: 'git@github.com:x/y.git' }, /SourceCodeUrl .* is not an https URL/],
  ['an intrinsic function', { SemanticVersion: { Ref: 'Version' } }, /SemanticVersion must be a literal string/],
  ['no author', { Author: undefined }, /Author is required/],
])('refuses %s', (_, change, problem) => {
  const problems = sarMetadataProblems({ ...metadata, ...change }, context);
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
});

test('refuses a licence file whose text is another licence', () => {
  const problems = sarMetadataProblems({ ...metadata, LicenseUrl: 'README.md' }, context);
  expect(problems).toEqual(['LicenseUrl is not the text of Apache-2.0']);
});

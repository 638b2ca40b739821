/**
 * The generated install forms are what serverless.yml and infra/ make of them today: the CDK
 * construct's template and props, the Terraform module, the SAM template and the parameter tables
 * of the docs. A change to the stack made without `npm run forms` fails here, naming the stale files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateForms, staleFiles } from '../../scripts/forms/generate';
import { ROOT } from './template';

test('every generated file is up to date (otherwise: npm run forms)', () => {
  expect(staleFiles(ROOT, generateForms(ROOT))).toEqual([]);
}, 300_000);

test('the CDK package has the version of the project it is built from', () => {
  const version = (file: string) => (JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as { version: string }).version;
  expect(version('cdk/package.json')).toBe(version('package.json'));
});

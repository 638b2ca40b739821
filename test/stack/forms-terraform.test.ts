/**
 * The Terraform module (infra/terraform), checked without cloud access: its layout (terraform
 * fmt), its example (terraform validate, with the AWS provider from a local filesystem mirror) and
 * its own tests against a mocked provider (terraform test, which validates the module first). It
 * runs in a copy, so that no .terraform directory or lock file lands in the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, terraform, terraformInit } from './forms';
import { ROOT } from './template';

const MODULE = path.join(ROOT, 'infra/terraform');
let copy: string;

beforeAll(() => {
  copy = path.join(tempDir('terraform'), 'module');
  fs.cpSync(MODULE, copy, { recursive: true, filter: (source) => path.basename(source) !== '.terraform' });
  terraformInit(copy);
}, 120_000);

test('every file is laid out as terraform fmt lays it out', () => {
  const { status, stdout } = terraform(['fmt', '-check', '-recursive', '-no-color', MODULE], ROOT, { allowFailure: true });
  expect({ status, unformatted: stdout.trim() }).toEqual({ status: 0, unformatted: '' });
});

test('the example is a valid configuration that uses the module', () => {
  const example = path.join(copy, 'examples/basic');
  terraformInit(example);
  expect(terraform(['validate', '-no-color'], example).stdout).toContain('The configuration is valid');
}, 120_000);

// terraform test validates the configuration first: an invalid module fails here.
test("the module's own tests pass against a mocked provider", () => {
  const { stdout } = terraform(['test', '-no-color'], copy);
  const runs = stdout.split('\n').filter((line) => /^\s+run "/.test(line));
  expect(runs.length).toBeGreaterThanOrEqual(6);
  expect(runs.filter((line) => !line.endsWith('... pass'))).toEqual([]);
  expect(stdout).toMatch(/Success! \d+ passed, 0 failed/);
}, 180_000);

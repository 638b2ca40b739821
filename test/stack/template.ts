import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');
export const PACKAGE_DIR = path.join(ROOT, '.serverless');
export const STAGE = 'ci';
export const REGION = 'eu-west-1';
export const SERVICE = 'ecs-secret-redeploy';
export const STACK_NAME = `${SERVICE}-${STAGE}`;

export type Json = Record<string, unknown>;

export interface Resource {
  Type: string;
  Properties?: Json;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface Packaged {
  createTemplate: Template;
  updateTemplate: Template;
  /** Where the framework uploads the artifacts in the deployment bucket (`serverless/<service>/<stage>/<time>`). */
  artifactDirectoryName: string;
  dir: string;
}

/** Files whose change makes a packaged template stale. */
const INPUTS = ['serverless.yml', 'infra', 'functions', 'package.json', 'package-lock.json'];

/**
 * The packaged stack (`npm run package`): reused when it is newer than every input, packaged
 * again otherwise. Test files run in parallel workers, so packaging happens under a lock.
 */
export function ensurePackaged(): Packaged {
  const lock = path.join(os.tmpdir(), `ecs-secret-redeploy-package-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  acquire(lock);
  try {
    if (isStale()) {
      execFileSync(path.join(ROOT, 'node_modules/.bin/osls'), ['package', '--stage', STAGE, '--region', REGION], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
        // Packaging reads no credentials and calls no AWS API; dummy ones make sure of it.
        env: { ...withoutProfile(process.env), AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
      });
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, file), 'utf8'));
  const state = read('serverless-state.json') as { package: { artifactDirectoryName: string } };
  return {
    createTemplate: read('cloudformation-template-create-stack.json') as Template,
    updateTemplate: read('cloudformation-template-update-stack.json') as Template,
    artifactDirectoryName: state.package.artifactDirectoryName,
    dir: PACKAGE_DIR,
  };
}

function withoutProfile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.AWS_PROFILE;
  return copy;
}

function isStale(): boolean {
  const outputs = ['cloudformation-template-update-stack.json', 'cloudformation-template-create-stack.json', 'serverless-state.json'].map(
    (f) => path.join(PACKAGE_DIR, f),
  );
  if (!outputs.every((f) => fs.existsSync(f))) return true;
  const packagedAt = Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
  return INPUTS.some((input) => newestMtime(path.join(ROOT, input)) > packagedAt);
}

function newestMtime(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(file).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(file, entry))), stat.mtimeMs);
}

/** A lock directory (mkdir is atomic); one left behind by a killed run is taken over after 3 minutes. */
function acquire(lock: string): void {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 180_000 || Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** The statements of every IAM policy in the template, wherever CloudFormation allows one. */
export function policyStatements(template: Template): Array<{ where: string; statement: Json }> {
  const found: Array<{ where: string; statement: Json }> = [];
  const addDocument = (where: string, doc: unknown) => {
    if (!doc || typeof doc !== 'object') return;
    const statements = (doc as Json).Statement;
    for (const [i, s] of (Array.isArray(statements) ? statements : [statements]).entries()) {
      if (s && typeof s === 'object') found.push({ where: `${where}.Statement[${i}]`, statement: s as Json });
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Role':
      case 'AWS::IAM::User':
      case 'AWS::IAM::Group':
        addDocument(`${id}.AssumeRolePolicyDocument`, props.AssumeRolePolicyDocument);
        for (const [i, p] of ((props.Policies as Json[] | undefined) ?? []).entries())
          addDocument(`${id}.Policies[${i}]`, p.PolicyDocument);
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::IAM::RolePolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SNS::TopicPolicy':
        addDocument(id, props.PolicyDocument);
        break;
      default:
        break;
    }
  }
  return found;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Builds the member-account template of the organization StackSet (docs/organization.md) from the
 * stack `osls package` produces, so the StackSet runs exactly what a single-account deploy runs.
 *
 *   npm run build && node dist/scripts/org/stackset-template.js --stage prod [--region eu-west-1]
 *     [--out dist/org/member-template.json] [--fixed key=value ...] [--from DIR]
 *
 * 1. Packages the service with a placeholder (`@@org.<key>@@`) for every key of `params.default`
 *    (and of `params.<stage>`), so every value the framework would bake into the template is marked.
 * 2. Converts the packaged template (scripts/org/member-template.ts, pure).
 * 3. Names the release after a hash of what the accounts run (zips and template), and writes the
 *    template and an upload tree (`upload/<ArtifactKeyPrefix>/...`: the template and the function
 *    zips) that `aws s3 sync` copies as is into every regional artifact bucket.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { oslsPackage, withPackagingLock } from '../osls-package';
import {
  ARTIFACT_BUCKET_PREFIX,
  ARTIFACT_KEY_PREFIX,
  type CfnParameter,
  type CfnTemplate,
  type Json,
  type MemberTemplate,
  placeholder,
  type ServiceParameter,
  toMemberTemplate,
} from './member-template';

export interface ServiceConfig {
  service: string;
  parameters: ServiceParameter[];
}

/**
 * The service name and the deploy-time parameters of serverless.yml: every key of `params.default`
 * and of `params.<stage>`, the stage's value winning, each with the comment written above it.
 */
export function readServiceConfig(root: string, stage: string): ServiceConfig {
  const file = path.join(root, 'serverless.yml');
  const text = fs.readFileSync(file, 'utf8');
  // The framework's own YAML reader, which knows the CloudFormation tags (!Ref, !Sub...).
  const parse = require('osls/lib/utils/fs/parse') as (file: string, contents: string) => Json;
  const config = parse(file, text);
  const params = (config.params ?? {}) as Record<string, Record<string, unknown> | null>;
  const values = { ...(params.default ?? {}), ...(params[stage] ?? {}) };
  const comments = paramComments(text);
  const parameters = Object.entries(values).map(([key, value]) => {
    const fallback = value === null || value === undefined ? '' : String(value);
    if (fallback.includes('${'))
      throw new Error(`params.${key} is "${fallback}": a variable cannot be a StackSet default; resolve it or use --fixed`);
    return { key, default: fallback, ...(comments[key] ? { description: comments[key] } : {}) };
  });
  return { service: String(config.service), parameters };
}

/** The comment lines right above each key of `params.default` (best effort: descriptions only). */
function paramComments(text: string): Record<string, string> {
  const lines = text.split('\n');
  const comments: Record<string, string> = {};
  const start = lines.findIndex((line, i) => line === 'params:' && /^ {2}default:\s*$/.test(lines[i + 1] ?? ''));
  if (start < 0) return comments;
  let pending: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('    ')) break;
    const comment = /^ {4}#\s?(.*)$/.exec(line);
    const key = /^ {4}([A-Za-z][A-Za-z0-9_-]*):/.exec(line);
    if (comment) pending.push(comment[1].trim());
    else if (key) {
      if (pending.length > 0) comments[key[1]] = pending.join(' ');
      pending = [];
    }
  }
  return comments;
}

export interface PackageOptions {
  root: string;
  stage: string;
  region: string;
  /** Output directory of `osls package --package`. */
  dir: string;
  /** Keys packaged with a placeholder. */
  keys: string[];
  /** Keys given a fixed value instead. */
  fixed?: Record<string, string>;
}

/** `osls package` into `options.dir` with a placeholder for every key, under the packaging lock (scripts/osls-package.ts). */
export function packageWithPlaceholders(options: PackageOptions): CfnTemplate {
  const params = [
    ...options.keys.map((key) => `--param=${key}=${placeholder(key)}`),
    ...Object.entries(options.fixed ?? {}).map(([key, value]) => `--param=${key}=${value}`),
  ];
  fs.rmSync(options.dir, { recursive: true, force: true });
  withPackagingLock(options.root, () =>
    oslsPackage(options.root, ['--stage', options.stage, '--region', options.region, '--package', options.dir, ...params], 180_000),
  );
  return JSON.parse(fs.readFileSync(path.join(options.dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
}

export interface BuildOptions {
  root: string;
  stage: string;
  region: string;
  /** Where the member template is written; the package and the upload tree go beside it. */
  out: string;
  fixed?: Record<string, string>;
  /** An existing placeholder package to convert instead of packaging again. */
  from?: string;
}

export interface BuildResult extends MemberTemplate {
  out: string;
  /** Copy this directory's content into every regional bucket (`aws s3 sync UPLOAD s3://<prefix>-<region>/`). */
  uploadDir: string;
  artifactKeyPrefix: string;
  parameters: ServiceParameter[];
}

/** The whole CLI: package with placeholders, convert, write the template and the upload tree. */
export function buildMemberTemplate(options: BuildOptions): BuildResult {
  const { service, parameters: all } = readServiceConfig(options.root, options.stage);
  const fixed = options.fixed ?? {};
  const unknown = Object.keys(fixed).filter((key) => !all.some((p) => p.key === key));
  if (unknown.length > 0) throw new Error(`--fixed names keys that are not in params: ${unknown.join(', ')}`);
  const parameters = all.filter((p) => !(p.key in fixed));
  const outDir = path.dirname(options.out);
  const packageDir = options.from ?? path.join(outDir, 'package');
  const packaged = options.from
    ? (JSON.parse(fs.readFileSync(path.join(options.from, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate)
    : packageWithPlaceholders({
        root: options.root,
        stage: options.stage,
        region: options.region,
        dir: packageDir,
        keys: parameters.map((p) => p.key),
        fixed,
      });

  // The release id is a hash of what the accounts will run (the zips and the member template, whose
  // keys carry no packaging time): the same code gives the same prefix, new code a new one, and
  // Lambda only reloads code when S3Key changes.
  const member = toMemberTemplate(packaged, { parameters, artifactKeyPrefix: 'release', packagingRegion: options.region });
  const hash = createHash('sha256').update(JSON.stringify(member.template));
  for (const { file } of [...member.artifacts].sort((a, b) => a.file.localeCompare(b.file))) {
    hash.update(file).update(fs.readFileSync(path.join(packageDir, file)));
  }
  const version = (JSON.parse(fs.readFileSync(path.join(options.root, 'package.json'), 'utf8')) as { version: string }).version;
  const artifactKeyPrefix = `${service}/${options.stage}/${version}-${hash.digest('hex').slice(0, 12)}`;
  (member.template.Parameters as Record<string, CfnParameter>)[ARTIFACT_KEY_PREFIX].Default = artifactKeyPrefix;

  const body = `${JSON.stringify(member.template, null, 2)}\n`;
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(options.out, body);
  const uploadDir = path.join(outDir, 'upload');
  const releaseDir = path.join(uploadDir, artifactKeyPrefix);
  fs.rmSync(uploadDir, { recursive: true, force: true });
  fs.mkdirSync(releaseDir, { recursive: true });
  fs.writeFileSync(path.join(releaseDir, 'member-template.json'), body);
  for (const { file } of member.artifacts) fs.copyFileSync(path.join(packageDir, file), path.join(releaseDir, file));
  // The owner accounts' template travels with the release (infra/organization/owner-stackset.yml).
  fs.copyFileSync(path.join(options.root, 'infra/organization/owner-account.yml'), path.join(releaseDir, 'owner-account.yml'));
  return { ...member, out: options.out, uploadDir, artifactKeyPrefix, parameters };
}

function parseArgs(argv: string[]): BuildOptions {
  const root = path.resolve(__dirname, '../../..');
  const options: BuildOptions = { root, stage: '', region: 'eu-west-1', out: path.join(root, 'dist/org/member-template.json'), fixed: {} };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--stage') options.stage = value();
    else if (flag === '--region') options.region = value();
    else if (flag === '--out') options.out = path.resolve(value());
    else if (flag === '--from') options.from = path.resolve(value());
    else if (flag === '--fixed') {
      const [key, fixedValue] = value().split(/=(.*)/s, 2);
      options.fixed = { ...options.fixed, [key]: fixedValue ?? '' };
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!options.stage) throw new Error('--stage is required (it names the functions, table and rules in every account)');
  return options;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const result = buildMemberTemplate(options);
  const names = result.parameters.map((p) => result.parameterNames[p.key]);
  console.log(`member template: ${path.relative(process.cwd(), result.out)}`);
  console.log(`parameters: ${[ARTIFACT_BUCKET_PREFIX, ARTIFACT_KEY_PREFIX, ...names].join(', ')}`);
  console.log(`ArtifactKeyPrefix (default) = ${result.artifactKeyPrefix}`);
  const upload = path.relative(process.cwd(), result.uploadDir);
  console.log(`upload, to every regional bucket: aws s3 sync ${upload}/ s3://<ArtifactBucketPrefix>-<region>/`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    const err = error as Error & { stderr?: Buffer };
    if (err.stderr?.length) console.error(err.stderr.toString());
    console.error(err.message);
    process.exitCode = 1;
  }
}

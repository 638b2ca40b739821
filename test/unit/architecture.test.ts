import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const FUNCTIONS = join(__dirname, '..', '..', 'functions');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]);
}

/** Where each layer may not reach: the domain is pure, use cases see only ports. */
const FORBIDDEN: Array<[layer: string, pattern: RegExp, why: string]> = [
  [
    'domain',
    /^@aws-sdk\/|^aws-lambda$|\/aws\/|\/app\/|\/handlers\/|\/cli\/|\/config$/,
    'the domain is pure: no SDK, no adapters, no use cases',
  ],
  ['ports', /^@aws-sdk\/|\/aws\/|\/app\/|\/handlers\/|\/cli\//, "ports are interfaces in the domain's terms"],
  ['app', /^@aws-sdk\/|\/aws\/|\/handlers\/|\/cli\//, 'use cases reach AWS only through ports'],
];

describe('layers', () => {
  it.each(FORBIDDEN)('%s imports nothing it must not (%s)', (layer, pattern, why) => {
    const offending = sources(join(FUNCTIONS, layer)).flatMap((file) =>
      importsOf(file)
        .filter((spec) => pattern.test(spec))
        .map((spec) => `${relative(FUNCTIONS, file)} imports ${spec}`),
    );
    expect({ why, offending }).toEqual({ why, offending: [] });
  });

  it('finds the imports it checks (the checker is not blind)', () => {
    expect(importsOf(join(FUNCTIONS, 'aws', 'ecs.ts'))).toContain('@aws-sdk/client-ecs');
  });
});

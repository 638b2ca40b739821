import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

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
  ['aws', /\/app\/|\/handlers\/|\/cli\//, 'adapters implement ports; they never call back into use cases'],
];

/** The files of functions/ a file imports (relative imports only). */
function localImports(file: string): string[] {
  return importsOf(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec))
    .map((path) => (existsSync(`${path}.ts`) ? `${path}.ts` : join(path, 'index.ts')));
}

/** Every import circle, each as the chain of files that closes it. */
function circles(files: string[]): string[][] {
  const edges = new Map(files.map((f) => [f, localImports(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const found: string[][] = [];
  const visit = (file: string, path: string[]) => {
    state.set(file, 'open');
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next].map((f) => relative(FUNCTIONS, f)));
      else if (!state.has(next)) visit(next, [...path, next]);
    }
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file, [file]);
  return found;
}

describe('layers', () => {
  it.each(FORBIDDEN)('%s imports nothing it must not (%s)', (layer, pattern, why) => {
    const offending = sources(join(FUNCTIONS, layer)).flatMap((file) =>
      importsOf(file)
        .filter((spec) => pattern.test(spec))
        .map((spec) => `${relative(FUNCTIONS, file)} imports ${spec}`),
    );
    expect({ why, offending }).toEqual({ why, offending: [] });
  });

  it('has no import circle: each file can be read before the files that use it', () => {
    expect(circles(sources(FUNCTIONS))).toEqual([]);
  });

  it('finds the imports it checks (the checker is not blind)', () => {
    expect(importsOf(join(FUNCTIONS, 'aws', 'ecs.ts'))).toContain('@aws-sdk/client-ecs');
  });
});

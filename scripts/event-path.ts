/**
 * `npm run event-path`: the path one secret-change event takes through functions/, as a reader
 * following it would: the files whose functions run, in the order they are entered.
 *
 * functions/ is compiled to a temporary directory with a transformer that makes every function
 * body start by naming its file; the in-memory ports of test/kit (compiled as they are) serve a
 * rotation of prod/orders-db in the demo's account, which redeploys its three consumers; one
 * PutSecretValue event goes through handleEvent. Printed: the files entered, how many times the
 * path comes back to a file it had left, how many of its steps climb from domain/ or util/ into
 * app/, and the same for the use cases of app/ alone, and
 * with --verbose the path itself. Entries only (a return to the caller is not
 * seen), so the figures compare shapes of the code, measured the same way before and after.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const verbose = process.argv.includes('--verbose');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** Prepends `globalThis.__enter("<file>")` to every function body of a file of functions/. */
function entryMarker(file: string): ts.TransformerFactory<ts.SourceFile> {
  return (context) => {
    const { factory } = context;
    const mark = () =>
      factory.createExpressionStatement(
        factory.createCallExpression(factory.createPropertyAccessExpression(factory.createIdentifier('globalThis'), '__enter'), undefined, [
          factory.createStringLiteral(file),
        ]),
      );
    const visit = (node: ts.Node): ts.Node => {
      const next = ts.visitEachChild(node, visit, context);
      if (
        (ts.isFunctionDeclaration(next) ||
          ts.isMethodDeclaration(next) ||
          ts.isFunctionExpression(next) ||
          ts.isConstructorDeclaration(next) ||
          ts.isGetAccessorDeclaration(next)) &&
        next.body
      ) {
        const body = factory.updateBlock(next.body, [mark(), ...next.body.statements]);
        if (ts.isFunctionDeclaration(next))
          return factory.updateFunctionDeclaration(
            next,
            next.modifiers,
            next.asteriskToken,
            next.name,
            next.typeParameters,
            next.parameters,
            next.type,
            body,
          );
        if (ts.isMethodDeclaration(next))
          return factory.updateMethodDeclaration(
            next,
            next.modifiers,
            next.asteriskToken,
            next.name,
            next.questionToken,
            next.typeParameters,
            next.parameters,
            next.type,
            body,
          );
        if (ts.isFunctionExpression(next))
          return factory.updateFunctionExpression(
            next,
            next.modifiers,
            next.asteriskToken,
            next.name,
            next.typeParameters,
            next.parameters,
            next.type,
            body,
          );
        if (ts.isConstructorDeclaration(next)) return factory.updateConstructorDeclaration(next, next.modifiers, next.parameters, body);
        return factory.updateGetAccessorDeclaration(next, next.modifiers, next.name, next.parameters, next.type, body);
      }
      if (ts.isArrowFunction(next)) {
        const body = ts.isBlock(next.body)
          ? factory.updateBlock(next.body, [mark(), ...next.body.statements])
          : factory.createBlock([mark(), factory.createReturnStatement(next.body)], true);
        return factory.updateArrowFunction(
          next,
          next.modifiers,
          next.typeParameters,
          next.parameters,
          next.type,
          next.equalsGreaterThanToken,
          body,
        );
      }
      return next;
    };
    return (source) => ts.visitNode(source, visit) as ts.SourceFile;
  };
}

function compile(out: string): void {
  for (const dir of ['functions', 'test/kit']) {
    for (const path of sources(join(ROOT, dir))) {
      const file = relative(ROOT, path);
      const instrument = file.startsWith('functions/');
      const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
        fileName: path,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        ...(instrument ? { transformers: { before: [entryMarker(file.replace(/^functions\//, ''))] } } : {}),
      });
      const target = join(out, file.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  writeFileSync(join(out, 'run.js'), RUNNER);
}

/** One rotation through handleEvent on the in-memory ports; prints the entered files as JSON. */
const RUNNER = `
const path = [];
globalThis.__enter = (file) => { if (globalThis.__recording) path.push(file); };
const { fakeWorld, seedFakes } = require('./test/kit/fakes/fake-world');
const { demoPlan } = require('./test/kit/simulated-account');
const { secretEvents } = require('./test/kit/events');
const { invocation } = require('./test/kit/fakes/invocations');
const { ACCOUNT, REGION } = require('./test/kit/test-account');
const { rebuildIndex } = require('./functions/app/refresh-index');
const { handleEvent } = require('./functions/app/handle-event');
(async () => {
  const world = fakeWorld();
  const seeded = seedFakes(world, demoPlan());
  await rebuildIndex(world.ports);
  const secret = seeded.secrets.get('prod/orders-db').arn;
  world.secrets.rotate(secret);
  const event = secretEvents(secret, { account: ACCOUNT, region: REGION }).putSecretValue();
  globalThis.__recording = true;
  const outcome = await handleEvent(world.ports, event, invocation(world, 300));
  globalThis.__recording = false;
  const redeployed = outcome.report.services.filter((s) => s.outcome === 'redeployed').length;
  process.stdout.write(JSON.stringify({ path, redeployed }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

function main(): void {
  const out = mkdtempSync(join(tmpdir(), 'event-path-'));
  try {
    compile(out);
    const child = spawnSync(process.execPath, [join(out, 'run.js')], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) throw new Error(`the traced run failed: ${child.stderr}`);
    const { path, redeployed } = JSON.parse(child.stdout) as { path: string[]; redeployed: number };
    const steps = path.filter((file, i) => file !== path[i - 1]);
    const seen = new Set<string>();
    let returns = 0;
    let climbs = 0;
    steps.forEach((file, i) => {
      if (seen.has(file)) returns += 1;
      seen.add(file);
      const from = steps[i - 1];
      if (from && /^(domain|util)\//.test(from) && file.startsWith('app/')) climbs += 1;
    });
    console.log(`one PutSecretValue event, ${redeployed} services redeployed, on the in-memory ports:`);
    console.log(`  files entered: ${seen.size}`);
    console.log(`  steps between files: ${steps.length - 1}`);
    console.log(`  returns to a file left before: ${returns}`);
    console.log(`  climbs from domain/ or util/ back into app/: ${climbs}`);
    const inApp = [...seen].filter((f) => f.startsWith('app/'));
    console.log(`  app/ files entered: ${inApp.length} (${inApp.sort().join(', ')})`);
    // The use cases alone: how often the path leaves an app/ file for another and comes back.
    const appPath = path.filter((f) => f.startsWith('app/'));
    const appSteps = appPath.filter((file, i) => file !== appPath[i - 1]);
    const appReturns = appSteps.filter((file, i) => appSteps.slice(0, i).includes(file)).length;
    console.log(`  between app/ files: ${appSteps.length - 1} steps, ${appReturns} of them back to a file left before`);
    if (verbose) console.log(steps.map((s, i) => `  ${String(i + 1).padStart(3)} ${s}`).join('\n'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();

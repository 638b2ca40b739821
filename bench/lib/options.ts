/** The command line of `npm run bench`. */
import type { SizeSpec } from './moto-size';

export interface Options {
  sizes: SizeSpec[];
  ks: number[];
  /** k of the rotation run in virtual time under ECS throttling (0: none). */
  virtualK: number;
  /** Services per wave of the rollout run in virtual time (empty: none). */
  waves: number[];
  /** In-use task definition revisions of the first index rebuild run in virtual time (0: none). */
  virtualRebuild: number;
  /** The Lambda timeout of that rebuild's invocations, seconds. */
  rebuildLambdaSeconds: number;
  /** Shared secrets rotated with their events missed, for the scheduled reconcile. */
  missed: number;
  seedConcurrency: number;
  coldRuns: number;
  write: boolean;
  /** The results section of docs/benchmark-results.md to write. */
  section: string;
  quick: boolean;
  verbose: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run bench [-- OPTIONS]
  --quick                  smoke run: S=50, k=1,10, virtual k=400, waves 6,18,36, a virtual first rebuild of 4,000 revisions in 60 s
                           invocations, 3 cold-load runs (reported, not a gate); does not write docs/benchmark-results.md
  --sizes 100,1000,3000:1000
                           account sizes against moto: S services[:N shared secrets] (default N = S/10; none: skip)
  --k 1,10,100             services affected by the rotated secret, against moto (k <= S)
  --virtual-k 2000         k of the rotation under ECS throttling in virtual time (0: skip)
  --waves 50,150,300       services per wave of the rollout in virtual time (none: skip)
  --virtual-rebuild 40000  in-use task definition revisions of a first index rebuild in virtual time (0: skip)
  --rebuild-lambda 900     the Lambda timeout (seconds) of that rebuild's invocations
  --missed 3               shared secrets rotated with their events lost before a scheduled reconcile
  --seed-concurrency 8     creation calls in flight while seeding
  --cold-runs 5            require() runs per bundle (median reported)
  --write / --no-write     write docs/benchmark-results.md (default: yes, except with --quick)
  --section results        the results section of docs/benchmark-results.md to write (large: the 10,000-service run)
  --verbose                log each case's calls by operation`;

export class UsageError extends Error {}

export function parseOptions(argv: string[]): Options {
  const options: Options = {
    sizes: [{ services: 100 }, { services: 1000 }, { services: 3000, secrets: 1000 }],
    ks: [1, 10, 100],
    virtualK: 2000,
    waves: [50, 150, 300],
    virtualRebuild: 40_000,
    rebuildLambdaSeconds: 900,
    missed: 3,
    seedConcurrency: 8,
    coldRuns: 5,
    write: true,
    section: 'results',
    quick: false,
    verbose: false,
    help: false,
  };
  let write: boolean | undefined;
  const integers = (flag: string, value: string | undefined, min: number) => {
    const items = (value ?? '').split(',').map((v) => Number(v.trim()));
    if (value === undefined || items.some((n) => !Number.isInteger(n) || n < min))
      throw new UsageError(`${flag} needs a comma-separated list of integers >= ${min}`);
    return items;
  };
  const one = (flag: string, value: string | undefined, min: number) => {
    const items = integers(flag, value, min);
    if (items.length !== 1) throw new UsageError(`${flag} takes one integer`);
    return items[0];
  };
  const sizes = (flag: string, value: string | undefined): SizeSpec[] =>
    (value ?? '').split(',').map((item) => {
      const [services, secrets, ...rest] = item.trim().split(':').map(Number);
      if (
        value === undefined ||
        rest.length > 0 ||
        !Number.isInteger(services) ||
        services < 1 ||
        (secrets !== undefined && !(Number.isInteger(secrets) && secrets >= 1))
      )
        throw new UsageError(`${flag} needs a comma-separated list of S or S:secrets (positive integers)`);
      return secrets === undefined ? { services } : { services, secrets };
    });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        Object.assign(options, {
          quick: true,
          sizes: [{ services: 50 }],
          ks: [1, 10],
          virtualK: 400,
          waves: [6, 18, 36],
          virtualRebuild: 4_000,
          rebuildLambdaSeconds: 60,
          missed: 2,
          coldRuns: 3,
        });
        break;
      case '--sizes': {
        const v = value();
        options.sizes = v === 'none' ? [] : sizes(flag, v);
        break;
      }
      case '--virtual-rebuild':
        options.virtualRebuild = one(flag, value(), 0);
        break;
      case '--rebuild-lambda':
        options.rebuildLambdaSeconds = one(flag, value(), 30);
        break;
      case '--k':
        options.ks = integers(flag, value(), 1);
        break;
      case '--virtual-k':
        options.virtualK = one(flag, value(), 0);
        break;
      case '--waves': {
        const v = value();
        options.waves = v === 'none' ? [] : integers(flag, v, 1);
        break;
      }
      case '--missed':
        options.missed = one(flag, value(), 0);
        break;
      case '--seed-concurrency':
        options.seedConcurrency = one(flag, value(), 1);
        break;
      case '--cold-runs':
        options.coldRuns = one(flag, value(), 1);
        break;
      case '--write':
        write = true;
        break;
      case '--no-write':
        write = false;
        break;
      case '--section': {
        const v = value();
        if (v === undefined || !/^[a-z][a-z0-9-]*$/.test(v)) throw new UsageError(`${flag} needs a name (lower-case letters, digits, -)`);
        options.section = v;
        break;
      }
      case '--verbose':
        options.verbose = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  options.write = write ?? !options.quick;
  return options;
}

/**
 * Counts AWS calls by operation with an SDK middleware, added to every client the code under test
 * builds (through `awsPorts(config, { instrument })`) and to the benchmark baseline's clients. The
 * tests that pin a path's calls and the benchmark count with this one counter.
 *
 * moto never paginates ECS listings: it answers ListServices, ListClusters and ListTasks with every
 * ARN in one page. Real ECS returns at most `maxResults` per page (ListServices: default 10, max
 * 100; ListClusters and ListTasks: default and max 100), and the SDK paginator sends one call per
 * page. So a listing answered with n ARNs counts as max(1, ceil(n / pageSize)) calls: the number a
 * real account of the same shape would need. A Scan's or Query's further pages are counted apart
 * (see pageOf).
 */

/** Calls by operation name (`UpdateService`, `DescribeSecret`, ...). */
export type Counts = Map<string, number>;

/** The AWS service an operation belongs to, from the client that sent it. */
export type AwsService = 'ECS' | 'CodeDeploy' | 'SecretsManager' | 'SSM' | 'DynamoDB' | 'EventBridge' | 'STS' | 'other';

type Handler = (args: { input?: Record<string, unknown> }) => Promise<{ output?: Record<string, unknown> }>;
interface Stack {
  add(middleware: (next: Handler, context: { commandName?: string }) => Handler, options: { step: 'initialize'; name: string }): void;
}

const PAGED_LISTINGS: Record<string, { field: string; defaultPageSize: number; maxPageSize: number }> = {
  ListServices: { field: 'serviceArns', defaultPageSize: 10, maxPageSize: 100 },
  ListClusters: { field: 'clusterArns', defaultPageSize: 100, maxPageSize: 100 },
  ListTasks: { field: 'taskArns', defaultPageSize: 100, maxPageSize: 100 },
};

const SERVICE_OF_CLIENT: Record<string, AwsService> = {
  ECSClient: 'ECS',
  CodeDeployClient: 'CodeDeploy',
  SecretsManagerClient: 'SecretsManager',
  SSMClient: 'SSM',
  DynamoDBClient: 'DynamoDB',
  EventBridgeClient: 'EventBridge',
  STSClient: 'STS',
};

/** Counts calls into the current phase; {@link CallCounter.take} returns them and starts afresh. */
export class CallCounter {
  private counts: Counts = new Map();
  private millis: Counts = new Map();
  /** Which AWS service each operation seen belongs to. */
  readonly serviceOf = new Map<string, AwsService>();

  /** Adds the counting middleware to one SDK client; pass as `buildDeps`'s `instrument`. */
  readonly instrument = (client: { middlewareStack: unknown }): void => {
    const service = SERVICE_OF_CLIENT[client.constructor.name] ?? 'other';
    (client.middlewareStack as Stack).add(
      (next, context) => async (args) => {
        const operation = pageOf((context.commandName ?? 'Unknown').replace(/Command$/, ''), args.input);
        this.serviceOf.set(operation, service);
        const t0 = performance.now();
        const result = await next(args);
        this.millis.set(operation, (this.millis.get(operation) ?? 0) + performance.now() - t0);
        this.add(operation, callsFor(operation, args.input, result.output));
        return result;
      },
      { step: 'initialize', name: 'benchCallCounter' },
    );
  };

  private add(operation: string, calls: number): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + calls);
  }

  /** The calls counted since the last `take`, and a fresh count from now on. */
  take(): Counts {
    const taken = this.counts;
    this.counts = new Map();
    this.lastMillis = this.millis;
    this.millis = new Map();
    return taken;
  }

  /** Milliseconds spent waiting for answers, by operation, of the counts last taken (summed over concurrent calls). */
  lastMillis: Counts = new Map();
}

/** Calls a real account would need for one answered request (see the file comment). */
function callsFor(operation: string, input: Record<string, unknown> | undefined, output: Record<string, unknown> | undefined): number {
  const listing = PAGED_LISTINGS[operation];
  if (!listing) return 1;
  const returned = output?.[listing.field];
  const n = Array.isArray(returned) ? returned.length : 0;
  const requested = typeof input?.maxResults === 'number' ? input.maxResults : listing.defaultPageSize;
  const pageSize = Math.min(listing.maxPageSize, Math.max(1, requested));
  return Math.max(1, Math.ceil(n / pageSize));
}

/**
 * A Scan or Query that goes on from where the previous page stopped (ExclusiveStartKey) is
 * counted apart, as `Scan (next page)`: how many reads a path makes is its own doing, how many
 * 1 MB pages each read takes is DynamoDB's. So the bounds can fix the first and take the second as
 * answered, and an extra read shows.
 */
export function pageOf(operation: string, input: Record<string, unknown> | undefined): string {
  return (operation === 'Scan' || operation === 'Query') && input?.ExclusiveStartKey !== undefined
    ? `${operation} ${NEXT_PAGE}`
    : operation;
}

/** The suffix of a Scan's or Query's further pages (see pageOf). */
export const NEXT_PAGE = '(next page)';

/** Sum of all counts. */
export function total(counts: Counts): number {
  let sum = 0;
  for (const n of counts.values()) sum += n;
  return sum;
}

/** Sum of the counts of one AWS service. */
export function totalOf(counts: Counts, service: AwsService, serviceOf: Map<string, AwsService>): number {
  let sum = 0;
  for (const [op, n] of counts) if (serviceOf.get(op) === service) sum += n;
  return sum;
}

/** `UpdateService 10, DescribeServices 1, ...`, biggest first. */
export function formatCounts(counts: Counts): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
}

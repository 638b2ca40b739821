/**
 * Puts every event fixture through the real rule patterns (infra/event-patterns/*.json), on a moto
 * instance of this file's own that has no Lambda-target rules: one rule per pattern with an SQS
 * queue as its target, PutEvents, then ReceiveMessage on every queue. (moto's TestEventPattern is
 * a stub, so matching is observed through delivery.)
 *
 * The expectation table below says, fixture by fixture, which rule must deliver it; every fixture
 * found on disk must be in it, and every entry must name a fixture that exists.
 *
 * Then the same fixtures are put on us-east-1's default bus, whose rules are those of
 * infra/forward-secret-events.yml (the patterns it names, the default bus of eu-west-1 as target):
 * what reaches eu-west-1's rules is what they would get from a change in eu-west-1 itself, for
 * secrets and parameters. (moto gap: a bus-to-bus target in moto re-puts the event in the target
 * region, which rewrites its `region` and drops `resources`; AWS keeps both. That the consumer
 * region's patterns accept an event of another region is checked on the patterns themselves:
 * none names a region or an account.)
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { decodeEvent } from '../../functions/domain/decode/events';
import { MOTO_ACCOUNT, MOTO_CLIENT_CONFIG, type MotoServer, startMoto } from '../kit/moto';
import { ROOT } from './template';

jest.setTimeout(60_000);

/** The rules with a pattern (the schedule rule has none), named as in serverless.yml without the stage prefix. */
const RULES = {
  'secret-api-call': 'secretsmanager-api-call.json',
  'rotation-events': 'secretsmanager-service-events.json',
  'secret-label-updated': 'secretsmanager-label-updated.json',
  'ecs-deployment': 'ecs-deployment-state-change.json',
  'deployment-progress': 'ecs-deployment-progress.json',
  'codedeploy-deployment': 'codedeploy-deployment-state-change.json',
  'parameter-change': 'ssm-parameter-change.json',
} as const;
type Rule = keyof typeof RULES;
/** The rules whose target is on-secret-change (the others' is refresh-index). */
const SECRET_RULES: Rule[] = [
  'secret-api-call',
  'rotation-events',
  'secret-label-updated',
  'parameter-change',
  'deployment-progress',
  'codedeploy-deployment',
];

/** Where fixtures live; keys prefix the fixture names in the table. */
const FIXTURE_DIRS: Record<string, string> = {
  fixtures: path.join(ROOT, 'test/fixtures/events'),
  'non-matching': path.join(ROOT, 'test/fixtures/events/non-matching'),
};

const NONE: Rule[] = [];

/**
 * Which rule delivers which fixture. on-secret-change's patterns filter by eventName only: it also
 * receives calls the decoder then ignores (a failed call, a value staged as AWSPENDING, a rotation
 * that is only scheduled, a metadata-only UpdateSecret), and events that change no value but that
 * it warns about (a failed or abandoned rotation, a secret scheduled for deletion) or that move a
 * rollout on (a deployment completed or failed).
 */
const EXPECTED: Record<string, Rule[]> = {
  'fixtures/put-secret-value.current.json': ['secret-api-call'],
  'fixtures/put-secret-value.custom-stage.json': ['secret-api-call'],
  'fixtures/put-secret-value.error.json': ['secret-api-call'],
  'fixtures/put-secret-value.explicit-current.json': ['secret-api-call'],
  'fixtures/put-secret-value.legacy-arn-field.json': ['secret-api-call'],
  'fixtures/put-secret-value.no-response.name.json': ['secret-api-call'],
  'fixtures/put-secret-value.no-response.partial-arn.json': ['secret-api-call'],
  'fixtures/put-secret-value.pending.json': ['secret-api-call'],
  'fixtures/rotate-secret.immediate.json': ['secret-api-call'],
  'fixtures/rotate-secret.scheduled.json': ['secret-api-call'],
  'fixtures/update-secret-version-stage.current.json': ['secret-api-call'],
  'fixtures/update-secret-version-stage.custom-stage.json': ['secret-api-call'],
  'fixtures/update-secret-version-stage.pending.json': ['secret-api-call'],
  'fixtures/update-secret-version-stage.previous.json': ['secret-api-call'],
  'fixtures/update-secret.metadata-only.json': ['secret-api-call'],
  'fixtures/update-secret.new-version.json': ['secret-api-call'],
  'fixtures/rotation-succeeded.service-event.json': ['rotation-events'],
  'fixtures/rotation-failed.service-event.json': ['rotation-events'],
  'fixtures/rotation-abandoned.service-event.json': ['rotation-events'],
  // A replica that caught up, or failed to: the replica's reconcile reads which (docs/how-it-works.md "Replica secrets").
  'fixtures/replication-succeeded.service-event.json': ['rotation-events'],
  'fixtures/replication-failed.service-event.json': ['rotation-events'],
  'fixtures/replication-started.service-event.json': NONE,
  'fixtures/secret-label-updated.current.json': ['secret-label-updated'],
  'fixtures/secret-label-updated.custom-label.json': ['secret-label-updated'],
  // Referenced secrets scheduled for deletion are a warning (new tasks would fail to start).
  'fixtures/delete-secret.json': ['secret-api-call'],
  'fixtures/restore-secret.json': NONE,
  'fixtures/get-secret-value.json': NONE,
  'fixtures/tag-resource.json': NONE,
  'fixtures/rotation-started.service-event.json': NONE,
  'fixtures/parameter-store-change.update.json': ['parameter-change'],
  // Delivered, and ignored by the handler: the Create failed its validation, nothing changed.
  'fixtures/parameter-store-change.create-failed.json': ['parameter-change'],
  'fixtures/ec2-instance-state-change.json': NONE,

  'non-matching/describe-secret.cloudtrail.json': NONE,
  'non-matching/create-secret.cloudtrail.json': NONE,
  'non-matching/list-secret-version-ids.cloudtrail.json': NONE,
  'non-matching/other-source.put-secret-value.json': NONE,
  'non-matching/ecs-task-state-change.json': NONE,
  'non-matching/ecs-service-action.steady-state.json': NONE,
  // This service's own UpdateService calls, seen through CloudTrail: no loop.
  'non-matching/ecs-update-service.cloudtrail.json': NONE,
  'non-matching/scheduled-event.json': NONE,
  'non-matching/parameter-store-change.delete.json': NONE,

  // Every deployment re-indexes its service; completed and failed ones also move a rollout on.
  'fixtures/ecs-deployment.in-progress.json': ['ecs-deployment'],
  'fixtures/ecs-deployment.completed.json': ['ecs-deployment', 'deployment-progress'],
  'fixtures/ecs-deployment.failed.json': ['ecs-deployment', 'deployment-progress'],

  // CodeDeploy's deployments that ended move a CODE_DEPLOY service's rollout on; one that starts, or waits for rerouting, does not.
  'fixtures/codedeploy-deployment.success.json': ['codedeploy-deployment'],
  'fixtures/codedeploy-deployment.failure.json': ['codedeploy-deployment'],
  'fixtures/codedeploy-deployment.stop.json': ['codedeploy-deployment'],
  'fixtures/codedeploy-deployment.start.json': NONE,
  'fixtures/codedeploy-deployment.ready.json': NONE,
};

interface Fixture {
  name: string;
  event: { source: string; 'detail-type': string; detail: unknown; resources?: string[] };
}

/** Puts every fixture on the bus, ten per PutEvents; returns the fixture's name by the event id EventBridge gave it. */
async function publish(events: EventBridgeClient, all: Fixture[]): Promise<Map<string, string>> {
  const fixtureOfEventId = new Map<string, string>();
  for (let i = 0; i < all.length; i += 10) {
    const batch = all.slice(i, i + 10);
    const { Entries: entries = [], FailedEntryCount } = await events.send(
      new PutEventsCommand({
        Entries: batch.map(({ event }) => ({
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail),
          Resources: event.resources ?? [],
        })),
      }),
    );
    expect(FailedEntryCount ?? 0).toBe(0);
    for (const [j, entry] of entries.entries()) fixtureOfEventId.set(entry.EventId!, batch[j].name);
  }
  return fixtureOfEventId;
}

function loadFixtures(): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const [prefix, dir] of Object.entries(FIXTURE_DIRS)) {
    if (!fs.existsSync(dir)) throw new Error(`fixture directory ${dir} is missing`);
    for (const file of fs.readdirSync(dir).sort()) {
      if (!file.endsWith('.json')) continue;
      fixtures.push({ name: `${prefix}/${file}`, event: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) });
    }
  }
  return fixtures;
}

const fixtures = loadFixtures();
let moto: MotoServer;
let delivered: Map<string, Set<Rule>>;

beforeAll(async () => {
  moto = await startMoto();
  const config = { ...MOTO_CLIENT_CONFIG, endpoint: moto.endpoint };
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  try {
    queues = new Map<Rule, string>();
    for (const [rule, file] of Object.entries(RULES) as Array<[Rule, string]>) {
      const pattern = fs.readFileSync(path.join(ROOT, 'infra/event-patterns', file), 'utf8');
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `pattern-${rule}` }))).QueueUrl!;
      const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!
        .QueueArn;
      await events.send(new PutRuleCommand({ Name: rule, EventPattern: pattern, State: 'ENABLED' }));
      await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'queue', Arn: queueArn }] }));
      queues.set(rule, queueUrl);
    }

    // Publish every fixture; EventBridge names each event with the id PutEvents returns.
    const fixtureOfEventId = await publish(events, fixtures);

    // moto delivers during PutEvents: drain every queue.
    delivered = new Map(fixtures.map((f) => [f.name, new Set<Rule>()]));
    for (const [rule, queueUrl] of queues) {
      for (;;) {
        const { Messages: messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0 }),
        );
        if (messages.length === 0) break;
        for (const message of messages) {
          const body = JSON.parse(message.Body ?? '{}') as { id?: string };
          const fixture = fixtureOfEventId.get(body.id ?? '');
          if (!fixture) throw new Error(`rule ${rule} delivered an event nobody sent: ${message.Body}`);
          delivered.get(fixture)!.add(rule);
        }
      }
    }
  } finally {
    events.destroy();
    sqs.destroy();
  }
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

/** The fixtures' queues, and the fixture each eu-west-1 queue message is a copy of, by its content (a forwarded event gets a new id). */
let queues: Map<Rule, string>;

/** Every message on every queue, as (rule, event) pairs; the queues are left empty. */
async function drain(
  sqs: SQSClient,
): Promise<Array<{ rule: Rule; event: { id?: string; region?: string; 'detail-type'?: string; detail?: unknown } }>> {
  const found: Array<{ rule: Rule; event: { id?: string; 'detail-type'?: string; detail?: unknown } }> = [];
  for (const [rule, queueUrl] of queues) {
    for (;;) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0 }),
      );
      if (messages.length === 0) break;
      for (const message of messages) found.push({ rule, event: JSON.parse(message.Body ?? '{}') });
    }
  }
  return found;
}

it('the expectation table covers exactly the fixtures on disk', () => {
  const onDisk = fixtures.map((f) => f.name).sort();
  const missing = onDisk.filter((name) => !(name in EXPECTED));
  const stale = Object.keys(EXPECTED).filter((name) => !onDisk.includes(name));
  expect({ notInTheTable: missing, noLongerOnDisk: stale }).toEqual({ notInTheTable: [], noLongerOnDisk: [] });
});

it('there are matching and non-matching fixtures for every rule', () => {
  for (const rule of Object.keys(RULES) as Rule[]) {
    expect(Object.values(EXPECTED).filter((rules) => rules.includes(rule)).length).toBeGreaterThan(0);
  }
  expect(Object.values(EXPECTED).filter((rules) => rules.length === 0).length).toBeGreaterThan(5);
});

describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (name, fixture) => {
  const expected = EXPECTED[name] ?? [];
  it(expected.length ? `is delivered by ${expected.join(', ')} only` : 'is delivered by no rule', () => {
    expect([...(delivered.get(name) ?? [])].sort()).toEqual([...expected].sort());
  });

  // Cross-check with the decoder: an event it would act on must reach on-secret-change.
  it('reaches on-secret-change if the decoder would act on it', () => {
    let action: string;
    try {
      action = decodeEvent(fixture.event).action;
    } catch {
      action = 'malformed';
    }
    if (action === 'check') expect(SECRET_RULES.some((rule) => delivered.get(name)?.has(rule))).toBe(true);
  });
});

describe('forwarded from another region (infra/forward-secret-events.yml)', () => {
  const SECRET_REGION = 'us-east-1';
  const FORWARD_FILE = path.join(ROOT, 'infra/forward-secret-events.yml');
  /** The pattern files the forwarding rules use, as that file names them. */
  const forwardedPatterns = [
    ...fs.readFileSync(FORWARD_FILE, 'utf8').matchAll(/\$\{file\(infra\/event-patterns\/([a-z-]+\.json)\)\}/g),
  ].map((m) => m[1]);
  const forwardedRules = (Object.entries(RULES) as Array<[Rule, string]>)
    .filter(([, file]) => forwardedPatterns.includes(file))
    .map(([r]) => r);
  let arrived: Map<string, Set<Rule>>;

  beforeAll(async () => {
    const config = (region: string) => ({ ...MOTO_CLIENT_CONFIG, region, endpoint: moto.endpoint });
    const events = new EventBridgeClient(config(SECRET_REGION));
    const sqs = new SQSClient(config(MOTO_CLIENT_CONFIG.region));
    try {
      const consumerBus = `arn:aws:events:${MOTO_CLIENT_CONFIG.region}:${MOTO_ACCOUNT}:event-bus/default`;
      for (const file of forwardedPatterns) {
        const name = `forward-${file.replace('.json', '')}`;
        const pattern = fs.readFileSync(path.join(ROOT, 'infra/event-patterns', file), 'utf8');
        await events.send(new PutRuleCommand({ Name: name, EventPattern: pattern, State: 'ENABLED' }));
        await events.send(
          new PutTargetsCommand({
            Rule: name,
            Targets: [{ Id: MOTO_CLIENT_CONFIG.region, Arn: consumerBus, RoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/forward` }],
          }),
        );
      }
      await drain(sqs);
      await publish(events, fixtures);
      const contentOf = (event: { 'detail-type'?: string; detail?: unknown }) => `${event['detail-type']} ${JSON.stringify(event.detail)}`;
      const fixturesOf = new Map<string, string[]>();
      for (const f of fixtures) fixturesOf.set(contentOf(f.event), [...(fixturesOf.get(contentOf(f.event)) ?? []), f.name]);
      arrived = new Map(fixtures.map((f) => [f.name, new Set<Rule>()]));
      for (const { rule, event } of await drain(sqs)) {
        const names = fixturesOf.get(contentOf(event));
        if (!names) throw new Error(`rule ${rule} delivered an event nobody sent: ${JSON.stringify(event)}`);
        for (const name of names) arrived.get(name)?.add(rule);
      }
    } finally {
      events.destroy();
      sqs.destroy();
    }
  }, 60_000);

  it("repeats the patterns of on-secret-change's secret and parameter rules, and no other", () => {
    expect([...forwardedRules].sort()).toEqual(['parameter-change', 'rotation-events', 'secret-api-call', 'secret-label-updated']);
  });

  it('no rule pattern names a region or an account: events of another region match as those of this one', () => {
    const keysOf = (node: unknown): string[] =>
      node && typeof node === 'object' && !Array.isArray(node)
        ? Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => [k, ...keysOf(v)])
        : [];
    for (const file of Object.values(RULES)) {
      const pattern = JSON.parse(fs.readFileSync(path.join(ROOT, 'infra/event-patterns', file), 'utf8'));
      expect({ file, keys: keysOf(pattern).filter((k) => k === 'region' || k === 'account') }).toEqual({ file, keys: [] });
    }
  });

  it.each(fixtures.map((f) => [f.name] as const))('%s reaches the consumer region as a local change would', (name) => {
    const expected = (EXPECTED[name] ?? []).filter((rule) => forwardedRules.includes(rule));
    expect([...(arrived.get(name) ?? [])].sort()).toEqual([...expected].sort());
  });
});

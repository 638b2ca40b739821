import { type ChatEvent, chatMessage, dashboardUrl, RENDERERS } from '../../../../functions/domain/report/chat';

const SECRET = {
  arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders-db-AbCdEf',
  name: 'prod/orders-db',
  kind: 'secret' as const,
};
const V2 = '68ef1679-354b-473b-b16a-f0888ec73e0d';
const ROLLOUT = `AWSCURRENT=${V2}`;
const LINKS = {
  cli: 'ecs-secret-redeploy',
  dashboardUrl: 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=d',
};
const common = { secret: SECRET, rollout: ROLLOUT, versions: { AWSCURRENT: V2 } };

/** One event of every kind the renderer has a row for. */
const EVENTS: { [K in ChatEvent['kind']]: Extract<ChatEvent, { kind: K }> } = {
  'rollout-started': { kind: 'rollout-started', ...common, wave: 1, services: ['orders-worker', 'orders-api'] },
  'wave-done': { kind: 'wave-done', ...common, wave: 1, next: 2, services: ['orders-ledger'] },
  'rollout-halted': {
    kind: 'rollout-halted',
    ...common,
    wave: 2,
    failed: [
      {
        serviceArn: 'arn:aws:ecs:eu-west-1:111122223333:service/prod/orders-ledger',
        serviceName: 'orders-ledger',
        deploymentId: 'ecs-svc/2345678901234567890',
        reason: 'ECS deployment circuit breaker: tasks failed to start.',
      },
    ],
  },
  'rollout-completed': {
    kind: 'rollout-completed',
    ...common,
    services: 3,
    waves: [1, 2],
    startedAt: '2026-11-20T09:00:45Z',
    completedAt: '2026-11-20T09:21:10Z',
  },
  'rotation-failed': { kind: 'rotation-failed', secret: SECRET, event: 'RotationFailed', consumers: ['orders-api'], standaloneTasks: 1 },
  'waiting-for-windows': {
    kind: 'waiting-for-windows',
    ...common,
    services: [
      { serviceName: 'orders-batch', opensAt: '2026-11-21T02:00:00.000Z', deadline: '2026-11-21T14:00:00.000Z' },
      { serviceName: 'orders-frozen', deadline: '2026-11-21T14:00:00.000Z' },
    ],
  },
  'deadline-missed': {
    kind: 'deadline-missed',
    ...common,
    services: [
      {
        serviceArn: 'arn:aws:ecs:eu-west-1:111122223333:service/prod/orders-ledger',
        serviceName: 'orders-ledger',
        deadline: '2026-11-21T14:00:00.000Z',
        reason: 'wave 2: waits for wave 1 (1 deployment(s) in progress: orders-api)',
      },
    ],
  },
  'replication-failed': {
    kind: 'replication-failed',
    secret: SECRET,
    region: 'eu-west-1',
    primaryRegion: 'us-east-1',
    statusMessage: 'Secret with this name already exists in this region',
    consumers: ['orders-api'],
  },
};

/**
 * What the chat integration's custom-notification schema requires and allows
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html, "Event schema").
 */
function expectDocumentedFormat(message: unknown): void {
  const m = message as Record<string, Record<string, unknown>>;
  expect(Object.keys(m).every((k) => ['version', 'source', 'id', 'content', 'metadata'].includes(k))).toBe(true);
  expect(m.version).toBe('1.0');
  expect(m.source).toBe('custom');
  expect(Object.keys(m.content).every((k) => ['textType', 'title', 'description', 'nextSteps', 'keywords'].includes(k))).toBe(true);
  expect(m.content.textType).toBe('client-markdown');
  expect(typeof m.content.description).toBe('string');
  expect((m.content.description as string).length).toBeGreaterThan(0);
  for (const list of [m.content.nextSteps, m.content.keywords, m.metadata.relatedResources])
    expect(Array.isArray(list) && list.every((s) => typeof s === 'string')).toBe(true);
  expect(
    Object.keys(m.metadata).every((k) => ['threadId', 'summary', 'eventType', 'relatedResources', 'additionalContext'].includes(k)),
  ).toBe(true);
  expect(Object.values(m.metadata.additionalContext as Record<string, unknown>).every((v) => typeof v === 'string')).toBe(true);
}

describe('chat messages', () => {
  it('has a renderer for exactly the events it knows', () => {
    expect(Object.keys(RENDERERS).sort()).toEqual(Object.keys(EVENTS).sort());
  });

  it.each(Object.values(EVENTS).map((e) => [e.kind, e] as const))(
    'renders %s in the documented custom-notification format',
    (_kind, event) => {
      const message = chatMessage(event, LINKS);
      expectDocumentedFormat(JSON.parse(JSON.stringify(message)));
      expect(message.metadata?.eventType).toBe(event.kind);
      expect(message.content.title.startsWith('prod/orders-db: ')).toBe(true);
      // A link to the status command and to the dashboard in every message.
      // By ARN, which finds a secret of an allowed owner account too; a replica by name in its region.
      const status = [`ecs-secret-redeploy status ${SECRET.arn}`, `ecs-secret-redeploy status ${SECRET.name} --region `];
      expect(message.content.nextSteps?.some((s) => status.some((command) => s.includes(command)))).toBe(true);
      expect(message.content.nextSteps).toContain(`Dashboard: ${LINKS.dashboardUrl}`);
    },
  );

  it('reads as a short human message per rollout step, naming services and versions', () => {
    const [started, wave, halted, completed, rotation] = Object.values(EVENTS).map((e) => chatMessage(e, LINKS).content);
    expect(started.description).toBe(
      `New \`AWSCURRENT=${V2}\` of \`prod/orders-db\`: wave 1 is being redeployed: 2 services (\`orders-api\`, \`orders-worker\`).`,
    );
    expect(wave).toMatchObject({ title: 'prod/orders-db: wave 1 done' });
    expect(wave.description).toContain('Wave 2 is being redeployed: 1 service (`orders-ledger`).');
    expect(halted.title).toBe('prod/orders-db: rollout halted at wave 2');
    expect(halted.description).toContain(
      '- `orders-ledger` deployment `ecs-svc/2345678901234567890`: `ECS deployment circuit breaker: tasks failed to start.`',
    );
    expect(halted.nextSteps?.[0]).toBe(`Fix the cause, then release the next waves: \`ecs-secret-redeploy resume ${SECRET.arn}\``);
    expect(completed.description).toContain('3 services in waves 1, 2, from 2026-11-20T09:00:45Z to 2026-11-20T09:21:10Z');
    expect(rotation.description).toContain('1 service (`orders-api`) use it, and 1 standalone task.');
  });

  it('threads the messages of one rollout together, and a secret rotations apart', () => {
    const threads = Object.values(EVENTS).map((e) => chatMessage(e, LINKS).metadata?.threadId);
    expect(new Set(threads.slice(0, 4))).toEqual(new Set([`${SECRET.arn}#${ROLLOUT}`]));
    expect(threads[4]).toBe(`${SECRET.arn}#rotation`);
  });

  it('keeps text from outside in code spans: no markup, no mention, no control character gets through', () => {
    const event: ChatEvent = {
      ...EVENTS['rollout-halted'],
      failed: [{ serviceArn: 'arn:x', serviceName: 'web', reason: 'bad `code` <!here> *bold*\u001b[2J' }],
    };
    const { description } = chatMessage(event, LINKS).content;
    expect(description).toContain("`bad 'code' <!here> *bold*\\u001b[2J`");
  });

  it('lists at most ten services, then how many more', () => {
    const services = Array.from({ length: 13 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
    const { description } = chatMessage({ ...EVENTS['rollout-started'], services }, LINKS).content;
    expect(description).toContain('13 services (`svc-00`');
    expect(description).toContain('`svc-09` and 3 more)');
  });

  it('links the dashboard only where it knows the console, and works without one', () => {
    expect(dashboardUrl({ partition: 'aws-cn', region: 'cn-north-1', name: 'x' })).toBe(
      'https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards:name=x',
    );
    expect(dashboardUrl({ partition: 'aws-iso', region: 'us-iso-east-1', name: 'x' })).toBeUndefined();
    expect(chatMessage(EVENTS['wave-done'], { cli: 'ecs-secret-redeploy' }).content.nextSteps).toHaveLength(1);
  });
});

/*
 * The renderer's input cannot hold a value: no field of any event is named for one (the SDK's
 * value-bearing fields are SecretString, SecretBinary, and SSM's Parameter.Value). Checked by the
 * compiler: the assertion below fails to type-check if a member of ChatEvent gains such a key.
 */
type DeepKeys<T> = T extends string | number | boolean | undefined
  ? never
  : T extends Array<infer U>
    ? DeepKeys<U>
    : { [K in keyof T & string]: K | DeepKeys<T[K]> }[keyof T & string];
type ValueKeys = Extract<
  Lowercase<DeepKeys<ChatEvent>>,
  `${string}value${string}` | `${string}secretstring${string}` | `${string}secretbinary${string}` | 'plaintext'
>;
const noValueKey: [ValueKeys] extends [never] ? true : false = true;

describe('chat message input', () => {
  it('has no field that could carry a secret value (checked by the compiler)', () => {
    expect(noValueKey).toBe(true);
  });
});

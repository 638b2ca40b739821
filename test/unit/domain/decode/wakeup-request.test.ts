import {
  decodeWakeup,
  isWakeup,
  WAKEUP_KEY,
  wakeupFor,
  wakeupPayload,
  wakeupTrigger,
} from '../../../../functions/domain/decode/wakeup-request';
import { MalformedEventError } from '../../../../functions/domain/errors';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf';
const KEY = 'AWSCURRENT=v2-5e7a9c1b';
const NOW = new Date('2026-11-23T14:01:00Z');

describe('wakeup payload', () => {
  const wakeup = wakeupFor(SECRET, KEY, new Date('2026-11-24T02:00:00Z'), 'window', NOW);

  it('round-trips through the schedule (JSON)', () => {
    const sent = JSON.parse(JSON.stringify(wakeupPayload(wakeup)));
    expect(isWakeup(sent)).toBe(true);
    expect(decodeWakeup(sent)).toEqual({ secretArn: SECRET, rollout: KEY, at: '2026-11-24T02:00:00Z', cause: 'window' });
    expect(wakeupTrigger(decodeWakeup(sent))).toEqual({
      source: 'schedule',
      detailType: 'Restart Window Opens',
      time: '2026-11-24T02:00:00Z',
    });
  });

  it('is no continuation, and a continuation is no wakeup', () => {
    expect(isWakeup({ 'ecs-secret-redeploy:continuation': {} })).toBe(false);
    expect(isWakeup({ source: 'aws.events' })).toBe(false);
  });

  const body = { secretArn: SECRET, rollout: KEY, at: '2026-11-24T02:00:00Z', cause: 'window' };
  it.each<[string, unknown, RegExp]>([
    ['no request', { [WAKEUP_KEY]: 'now' }, /without its request/],
    ['a field of no wakeup', { [WAKEUP_KEY]: { ...body, force: true } }, /fields of no wakeup/],
    ['a field beside the request', { [WAKEUP_KEY]: body, ignoreWindows: true }, /fields of no wakeup/],
    ['a secret that is no ARN', { [WAKEUP_KEY]: { ...body, secretArn: 'prod/db' } }, /"secretArn" must be a secret or parameter ARN/],
    ['an oversized ARN', { [WAKEUP_KEY]: { ...body, secretArn: `${SECRET}${'x'.repeat(3000)}` } }, /"secretArn"/],
    ['a rollout with spaces', { [WAKEUP_KEY]: { ...body, rollout: 'AWSCURRENT = v2' } }, /"rollout" must be a rollout key/],
    ['an oversized rollout', { [WAKEUP_KEY]: { ...body, rollout: 'x'.repeat(5000) } }, /"rollout"/],
    ['an instant with a zone offset', { [WAKEUP_KEY]: { ...body, at: '2026-11-24T03:00:00+01:00' } }, /"at" must be an instant/],
    ['no instant', { [WAKEUP_KEY]: { ...body, at: 'tomorrow' } }, /"at" must be an instant/],
    ['an unknown cause', { [WAKEUP_KEY]: { ...body, cause: 'whim' } }, /"cause" must be window or deadline/],
  ])('refuses %s', (_, input, problem) => {
    expect(() => decodeWakeup(input)).toThrow(MalformedEventError);
    expect(() => decodeWakeup(input)).toThrow(problem);
  });
});

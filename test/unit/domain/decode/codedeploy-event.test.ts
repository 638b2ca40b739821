import {
  decodeCodeDeployEvent,
  endOf,
  foreignCodeDeployEvent,
  isCodeDeployEvent,
} from '../../../../functions/domain/decode/codedeploy-event';
import { MalformedEventError } from '../../../../functions/domain/errors';
import { loadEvent } from '../../../kit/events';

/* CodeDeploy's "CodeDeploy Deployment State-change Notification" (EventBridge's reference shape, test/fixtures/events). */

describe('decodeCodeDeployEvent', () => {
  it.each([
    ['codedeploy-deployment.success.json', 'SUCCESS', 'COMPLETED'],
    ['codedeploy-deployment.failure.json', 'FAILURE', 'FAILED'],
    ['codedeploy-deployment.stop.json', 'STOP', 'FAILED'],
    ['codedeploy-deployment.start.json', 'START', undefined],
    ['codedeploy-deployment.ready.json', 'READY', undefined],
  ])('%s: the deployment, its group, and its state %s (ends it: %s)', (file, state, end) => {
    const event = loadEvent(file);
    expect(isCodeDeployEvent(event)).toBe(true);
    const change = decodeCodeDeployEvent(event);
    expect(change).toEqual({
      deploymentId: 'd-KD7CW5ZZ1',
      application: 'AppECS-prod-orders-api',
      group: 'DgpECS-prod-orders-api',
      state,
      account: '111122223333',
      region: 'eu-west-1',
    });
    expect(endOf(change.state)).toBe(end);
  });

  it.each<[string, (event: Record<string, any>) => void, RegExp]>([
    [
      'another CodeDeploy event',
      (e) => {
        e['detail-type'] = 'CodeDeploy Instance State-change Notification';
      },
      /expected a CodeDeploy Deployment State-change Notification/,
    ],
    [
      'no deployment id',
      (e) => {
        delete e.detail.deploymentId;
      },
      /without detail.deploymentId/,
    ],
    [
      'a deployment id that is not one',
      (e) => {
        e.detail.deploymentId = '../../etc\u202e';
      },
      /is not a CodeDeploy deployment id/,
    ],
    [
      'a deployment id of another type',
      (e) => {
        e.detail.deploymentId = 42;
      },
      /without detail.deploymentId/,
    ],
  ])('refuses %s as malformed, escaping what it quotes', (_label, edit, message) => {
    const event = loadEvent('codedeploy-deployment.success.json');
    edit(event);
    expect(() => decodeCodeDeployEvent(event)).toThrow(MalformedEventError);
    expect(() => decodeCodeDeployEvent(event)).toThrow(message);
    try {
      decodeCodeDeployEvent(event);
    } catch (error) {
      expect((error as Error).message).not.toMatch(/\u202e/);
    }
  });

  it('cuts what it keeps of an account to a length no account has (a refused one stays refused)', () => {
    const event = loadEvent('codedeploy-deployment.success.json');
    event.account = `111122223333${'x'.repeat(70_000)}`;
    expect(decodeCodeDeployEvent(event).account?.length).toBe(20);
  });
});

describe('foreignCodeDeployEvent: only this account (and region) moves a rollout', () => {
  const change = (account?: string, region?: string) => ({
    deploymentId: 'd-1',
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
  });
  it.each<[string, ReturnType<typeof change>, { account: string; region?: string }, RegExp | undefined]>([
    ['this account', change('111122223333', 'eu-west-1'), { account: '111122223333', region: 'eu-west-1' }, undefined],
    ['no account named (handed over by hand)', change(), { account: '111122223333' }, undefined],
    [
      'another account',
      change('999988887777'),
      { account: '111122223333' },
      /from account 999988887777, not this account \(111122223333\)/,
    ],
    [
      'another region',
      change('111122223333', 'us-east-1'),
      { account: '111122223333', region: 'eu-west-1' },
      /from us-east-1, not this region/,
    ],
    ['any region when none is configured', change('111122223333', 'us-east-1'), { account: '111122223333' }, undefined],
  ])('%s', (_label, c, self, refused) => {
    const why = foreignCodeDeployEvent(c, self);
    if (refused) expect(why).toMatch(refused);
    else expect(why).toBeUndefined();
  });
});

import { decodeDeploymentEvent, foreignDeployment, isEcsEvent } from '../../../../functions/domain/decode/deployment-event';
import { MalformedEventError } from '../../../../functions/domain/errors';
import { loadEvent } from '../../../kit/events';

/*
 * "ECS Deployment State Change" (source aws.ecs, resources[0] = service ARN, detail.eventName,
 * detail.deploymentId, detail.reason): shape from the Amazon ECS developer guide, "Amazon ECS
 * service deployment state change events", as DESIGN "Rollouts" summarises it. Waves advance on
 * these; a FAILED one halts the rollout.
 */

const SERVICE = 'arn:aws:ecs:eu-west-1:111122223333:service/prod/orders-api';
const DEPLOYMENT = 'ecs-svc/1234567890123456789';
/** Where the fixtures' events come from (EventBridge's envelope). */
const FROM = { account: '111122223333', region: 'eu-west-1' };

describe('decodeDeploymentEvent', () => {
  it.each([
    ['ecs-deployment.in-progress.json', 'SERVICE_DEPLOYMENT_IN_PROGRESS', `ECS deployment ${DEPLOYMENT} in progress.`],
    ['ecs-deployment.completed.json', 'SERVICE_DEPLOYMENT_COMPLETED', `ECS deployment ${DEPLOYMENT} completed.`],
    ['ecs-deployment.failed.json', 'SERVICE_DEPLOYMENT_FAILED', 'ECS deployment circuit breaker: tasks failed to start.'],
  ])('decodes %s', (file, eventName, reason) => {
    expect(decodeDeploymentEvent(loadEvent(file))).toEqual({ serviceArn: SERVICE, eventName, deploymentId: DEPLOYMENT, reason, ...FROM });
  });

  it('finds the service ARN among other resources', () => {
    const event = loadEvent('ecs-deployment.completed.json');
    event.resources = [42, 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod', SERVICE];
    expect(decodeDeploymentEvent(event).serviceArn).toBe(SERVICE);
  });

  it('leaves out detail fields that are missing or empty, keeping the service', () => {
    const event = loadEvent('ecs-deployment.completed.json');
    event.detail = { eventName: '', deploymentId: 7 };
    expect(decodeDeploymentEvent(event)).toEqual({ serviceArn: SERVICE, ...FROM });
  });

  it('decodes an event without a detail object, from its service alone', () => {
    const event = loadEvent('ecs-deployment.completed.json');
    delete event.detail;
    expect(decodeDeploymentEvent(event)).toEqual({ serviceArn: SERVICE, ...FROM });
  });

  it("keeps the envelope's account and region escaped and cut, and leaves them out when absent", () => {
    const event = { ...loadEvent('ecs-deployment.completed.json'), account: '1111\u202e22223333', region: 'x'.repeat(100) };
    expect(decodeDeploymentEvent(event)).toMatchObject({ account: '1111\\u202e22223333', region: 'x'.repeat(30) });
    const { account: _, region: __, ...anonymous } = loadEvent('ecs-deployment.completed.json');
    expect(decodeDeploymentEvent(anonymous)).not.toHaveProperty('account');
  });

  it.each<[string, unknown]>([
    // Other ECS events reach the same function (the index is refreshed from ECS events) but are not deployments.
    ['an ECS Task State Change', loadEvent('non-matching/ecs-task-state-change.json')],
    ['an ECS Service Action', loadEvent('non-matching/ecs-service-action.steady-state.json')],
    ['a secret event', loadEvent('put-secret-value.current.json')],
    ['null', null],
    ['an array', [loadEvent('ecs-deployment.completed.json')]],
    ['a deployment event without resources', { ...loadEvent('ecs-deployment.completed.json'), resources: undefined }],
    ['a deployment event with empty resources', { ...loadEvent('ecs-deployment.completed.json'), resources: [] }],
    [
      'a deployment event naming only its cluster',
      { ...loadEvent('ecs-deployment.completed.json'), resources: ['arn:aws:ecs:eu-west-1:111122223333:cluster/prod'] },
    ],
  ])('rejects %s', (_label, input) => {
    expect(() => decodeDeploymentEvent(input)).toThrow(MalformedEventError);
  });

  // A service ARN from an event names the cluster of the DescribeServices call: a malformed one is
  // bad input, never an AWS call.
  it.each([
    ['a malformed region', 'arn:aws:ecs:eu west 1:111122223333:service/prod/orders-api'],
    ['a path in the service name', 'arn:aws:ecs:eu-west-1:111122223333:service/prod/../../etc'],
    ['an empty account', 'arn:aws:ecs:eu-west-1::service/prod/orders-api'],
    ['a cluster ARN', 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod'],
  ])('rejects an event whose only service ARN has %s', (_label, arn) => {
    const event = loadEvent('ecs-deployment.completed.json');
    event.resources = [arn];
    expect(() => decodeDeploymentEvent(event)).toThrow(MalformedEventError);
  });

  it('rejects another ECS event, escaping its detail-type in the message', () => {
    const event = { ...loadEvent('ecs-deployment.completed.json'), 'detail-type': 'ECS Task State Change\u202e' };
    expect(() => decodeDeploymentEvent(event)).toThrow('got "ECS Task State Change\\u202e"');
  });
});

describe('foreignDeployment', () => {
  const SELF = { account: '111122223333', region: 'eu-west-1' };
  const change = (serviceArn: string, from: Partial<typeof FROM> = FROM) => ({
    serviceArn,
    eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
    ...from,
  });

  it.each<[string, ReturnType<typeof change>]>([
    ['an event of this account and region', change(SERVICE)],
    // The CLI's handle-event may be given an event without its envelope's account: the service's ARN still decides.
    ['an event without an account, of a service of this account', change(SERVICE, {})],
  ])('accepts %s', (_label, input) => {
    expect(foreignDeployment(input, SELF)).toBeUndefined();
  });

  it.each<[string, ReturnType<typeof change>, RegExp]>([
    [
      'an event from another account',
      change(SERVICE, { ...FROM, account: '999999999999' }),
      /^ECS deployment event from account 999999999999, not this account \(111122223333 in eu-west-1\)$/,
    ],
    [
      "this account's event about another account's service",
      change(SERVICE.replace('111122223333', '999999999999')),
      /a service of another account than this one/,
    ],
    ['an event from another region', change(SERVICE, { ...FROM, region: 'us-east-1' }), /from us-east-1, not this region/],
    [
      'a service of another region',
      change(SERVICE.replace('eu-west-1', 'us-east-1'), { account: FROM.account }),
      /from us-east-1, not this region/,
    ],
  ])('refuses %s', (_label, input, reason) => {
    expect(foreignDeployment(input, SELF)).toMatch(reason);
  });

  it('checks the account alone where the region is not configured (the CLI on its default chain)', () => {
    expect(foreignDeployment(change(SERVICE.replace('eu-west-1', 'us-east-1')), { account: SELF.account })).toBeUndefined();
  });
});

describe('isEcsEvent', () => {
  it.each<[string, unknown, boolean]>([
    ['a deployment state change', loadEvent('ecs-deployment.failed.json'), true],
    ['a task state change', loadEvent('non-matching/ecs-task-state-change.json'), true],
    ['a service action', loadEvent('non-matching/ecs-service-action.steady-state.json'), true],
    // CloudTrail's record of an ECS call comes from aws.ecs too.
    ['an UpdateService CloudTrail event', loadEvent('non-matching/ecs-update-service.cloudtrail.json'), true],
    ['a secret event', loadEvent('put-secret-value.current.json'), false],
    ['a schedule', loadEvent('non-matching/scheduled-event.json'), false],
    ['null', null, false],
    ['a string', 'aws.ecs', false],
  ])('%s: %p', (_label, input, expected) => {
    expect(isEcsEvent(input)).toBe(expected);
  });
});

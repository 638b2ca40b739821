import { decodeDeploymentEvent, isEcsEvent } from '../../../../functions/domain/decode/deployment-event';
import { MalformedEventError } from '../../../../functions/domain/errors';
import { loadEvent } from '../../../support/events';

describe('decodeDeploymentEvent', () => {
  it('reads the service, the deployment and what happened', () => {
    expect(decodeDeploymentEvent(loadEvent('ecs-deployment.completed.json'))).toEqual({
      serviceArn: 'arn:aws:ecs:eu-west-1:111122223333:service/prod/orders-api',
      eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
      deploymentId: 'ecs-svc/1234567890123456789',
      reason: 'ECS deployment ecs-svc/1234567890123456789 completed.',
    });
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

describe('isEcsEvent', () => {
  it.each([
    ['an ECS event', loadEvent('ecs-deployment.completed.json'), true],
    ['a Secrets Manager event', loadEvent('put-secret-value.current.json'), false],
    ['null', null, false],
  ])('%s: %p', (_label, input, expected) => {
    expect(isEcsEvent(input)).toBe(expected);
  });
});

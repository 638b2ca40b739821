import { decodeEvent, type Signal } from '../../../../functions/domain/decode/events';
import { BadInputError, MalformedEventError } from '../../../../functions/domain/errors';
import { targetText } from '../../../../functions/domain/identity/target';
import { eventFixtureFiles, loadEvent } from '../../../support/events';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders-db-a1B2c3';
const CURRENT_MOVE = ['AWSCURRENT', 'AWSPREVIOUS'];

function check(decision: Signal): Extract<Signal, { action: 'check' }> {
  if (decision.action !== 'check') throw new Error(`expected a check, got ignore: ${decision.reason}`);
  return decision;
}

function ignored(decision: Signal): Extract<Signal, { action: 'ignore' }> {
  if (decision.action !== 'ignore') throw new Error(`expected ignore, got a check of ${targetText(decision.target)}`);
  return decision;
}

/** The secret or parameter a signal names, as text (undefined when it names none). */
function idOf(signal: Signal): string | undefined {
  return signal.target && targetText(signal.target);
}

function expectMalformed(input: unknown): void {
  expect(() => decodeEvent(input)).toThrow(MalformedEventError);
}

describe('event fixtures', () => {
  it.each(eventFixtureFiles())('%s is a complete EventBridge event', (file) => {
    const event = loadEvent(file);
    expect(Object.keys(event).sort()).toEqual([
      'account',
      'detail',
      'detail-type',
      'id',
      'region',
      'resources',
      'source',
      'time',
      'version',
    ]);
    expect(event.version).toBe('0');
    expect(Array.isArray(event.resources)).toBe(true);
    expect(typeof event.detail).toBe('object');
  });

  it.each(eventFixtureFiles())('%s decodes without throwing', (file) => {
    expect(() => decodeEvent(loadEvent(file))).not.toThrow();
  });
});

describe('decodeEvent', () => {
  describe('PutSecretValue (CloudTrail API call)', () => {
    it('checks the secret from responseElements.arn when no versionStages are given (AWSCURRENT moves)', () => {
      const decision = check(decodeEvent(loadEvent('put-secret-value.current.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
      expect(decision.skipWhileRotationPending).toBeFalsy();
    });

    it('records the event identity as the trigger', () => {
      const decision = decodeEvent(loadEvent('put-secret-value.current.json'));
      expect(decision.trigger).toEqual({
        source: 'aws.secretsmanager',
        detailType: 'AWS API Call via CloudTrail',
        eventName: 'PutSecretValue',
        eventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        time: '2026-11-20T08:15:02Z',
        account: '111122223333',
      });
    });

    it('checks AWSCURRENT and AWSPREVIOUS when versionStages is ["AWSCURRENT"]', () => {
      const decision = check(decodeEvent(loadEvent('put-secret-value.explicit-current.json')));
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
    });

    it('ignores a version staged only as AWSPENDING: a rotation started, the value is not live', () => {
      const decision = ignored(decodeEvent(loadEvent('put-secret-value.pending.json')));
      expect(decision.reason).toMatch(/AWSPENDING/);
      expect(idOf(decision)).toBe(ARN);
    });

    it('checks only the custom stage when the new version is staged with a custom label', () => {
      const decision = check(decodeEvent(loadEvent('put-secret-value.custom-stage.json')));
      expect(decision.movedStages).toEqual(['BLUE']);
    });

    it('checks the custom stage and drops AWSPENDING when both are given', () => {
      const event = loadEvent('put-secret-value.custom-stage.json');
      event.detail.requestParameters.versionStages = ['AWSPENDING', 'BLUE'];
      expect(check(decodeEvent(event)).movedStages).toEqual(['BLUE']);
    });

    it('checks AWSCURRENT and AWSPREVIOUS when AWSCURRENT is one of several stages', () => {
      const event = loadEvent('put-secret-value.custom-stage.json');
      event.detail.requestParameters.versionStages = ['BLUE', 'AWSCURRENT'];
      const moved = check(decodeEvent(event)).movedStages;
      expect(moved).toEqual(expect.arrayContaining(['AWSCURRENT', 'AWSPREVIOUS', 'BLUE']));
      expect(moved).toHaveLength(3);
    });

    it('reads the secret from the pre-Feb-2024 "aRN" spelling in responseElements', () => {
      const decision = check(decodeEvent(loadEvent('put-secret-value.legacy-arn-field.json')));
      expect(idOf(decision)).toBe(ARN);
    });

    it('prefers the full ARN of the response to the name given in the request', () => {
      const event = loadEvent('put-secret-value.current.json');
      event.detail.requestParameters.secretId = 'prod/orders-db';
      expect(idOf(check(decodeEvent(event)))).toBe(ARN);
    });

    it('falls back to requestParameters.secretId (a name) when responseElements is null', () => {
      const decision = check(decodeEvent(loadEvent('put-secret-value.no-response.name.json')));
      expect(idOf(decision)).toBe('prod/orders-db');
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
    });

    it('falls back to requestParameters.secretId (a partial ARN) when responseElements is null', () => {
      const decision = check(decodeEvent(loadEvent('put-secret-value.no-response.partial-arn.json')));
      expect(idOf(decision)).toBe('arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders-db');
    });

    it('ignores a call that failed (errorCode): nothing changed', () => {
      const decision = ignored(decodeEvent(loadEvent('put-secret-value.error.json')));
      expect(decision.reason).toContain('AccessDenied');
      expect(idOf(decision)).toBe('prod/orders-db');
    });

    it('ignores a failed call even when it names no secret', () => {
      const event = loadEvent('put-secret-value.error.json');
      event.detail.requestParameters = null;
      const decision = ignored(decodeEvent(event));
      expect(idOf(decision)).toBeUndefined();
    });
  });

  describe('UpdateSecret', () => {
    it('checks AWSCURRENT and AWSPREVIOUS when the response carries a new versionId', () => {
      const decision = check(decodeEvent(loadEvent('update-secret.new-version.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
    });

    it('ignores a metadata-only update (no versionId in the response)', () => {
      const decision = ignored(decodeEvent(loadEvent('update-secret.metadata-only.json')));
      expect(decision.reason).toMatch(/metadata-only/);
      expect(idOf(decision)).toBe(ARN);
    });
  });

  describe('UpdateSecretVersionStage', () => {
    it('checks AWSCURRENT and AWSPREVIOUS when AWSCURRENT moves', () => {
      const decision = check(decodeEvent(loadEvent('update-secret-version-stage.current.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
    });

    it('checks only AWSPREVIOUS when AWSPREVIOUS alone moves', () => {
      expect(check(decodeEvent(loadEvent('update-secret-version-stage.previous.json'))).movedStages).toEqual(['AWSPREVIOUS']);
    });

    it('ignores a move of AWSPENDING: the value in use did not change', () => {
      const decision = ignored(decodeEvent(loadEvent('update-secret-version-stage.pending.json')));
      expect(decision.reason).toMatch(/AWSPENDING/);
      expect(idOf(decision)).toBe(ARN);
    });

    it('checks only the custom stage when a custom stage moves', () => {
      expect(check(decodeEvent(loadEvent('update-secret-version-stage.custom-stage.json'))).movedStages).toEqual(['BLUE']);
    });

    it('rejects an event without requestParameters.versionStage', () => {
      const event = loadEvent('update-secret-version-stage.current.json');
      delete event.detail.requestParameters.versionStage;
      expectMalformed(event);
    });
  });

  describe('RotateSecret', () => {
    it('checks AWSCURRENT and AWSPREVIOUS but waits while the rotation is pending', () => {
      const decision = check(decodeEvent(loadEvent('rotate-secret.immediate.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
      expect(decision.skipWhileRotationPending).toBe(true);
    });

    it('treats rotateImmediately true like the default', () => {
      const event = loadEvent('rotate-secret.immediate.json');
      event.detail.requestParameters.rotateImmediately = true;
      expect(check(decodeEvent(event)).skipWhileRotationPending).toBe(true);
    });

    it('ignores a rotation that is only scheduled (rotateImmediately false)', () => {
      const decision = ignored(decodeEvent(loadEvent('rotate-secret.scheduled.json')));
      expect(decision.reason).toMatch(/scheduled/);
      expect(idOf(decision)).toBe(ARN);
    });
  });

  describe('RotationSucceeded and other service events', () => {
    it('checks the secret named in additionalEventData.SecretId when a rotation succeeded', () => {
      const decision = check(decodeEvent(loadEvent('rotation-succeeded.service-event.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
      expect(decision.skipWhileRotationPending).toBeFalsy();
      expect(decision.trigger).toMatchObject({ detailType: 'AWS Service Event via CloudTrail', eventName: 'RotationSucceeded' });
    });

    it.each([
      ['rotation-failed.service-event.json', 'RotationFailed'],
      ['rotation-started.service-event.json', 'RotationStarted'],
    ])('ignores %s: it makes no new value live', (file, eventName) => {
      const decision = ignored(decodeEvent(loadEvent(file)));
      expect(decision.reason).toContain(eventName);
      expect(idOf(decision)).toBe(ARN);
    });

    it('ignores a service event without an eventName', () => {
      const event = loadEvent('rotation-failed.service-event.json');
      delete event.detail.eventName;
      expect(ignored(decodeEvent(event)).reason).toMatch(/service event/);
    });
  });

  describe('Secret Label Updated (native event)', () => {
    it('checks the secret in resources[0] with AWSCURRENT and AWSPREVIOUS when AWSCURRENT moved', () => {
      const decision = check(decodeEvent(loadEvent('secret-label-updated.current.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.movedStages).toEqual(CURRENT_MOVE);
      expect(decision.trigger).toMatchObject({
        source: 'aws.secretsmanager',
        detailType: 'Secret Label Updated',
        eventName: 'Secret Label Updated',
      });
    });

    it('checks only the custom label when a custom label moved', () => {
      expect(check(decodeEvent(loadEvent('secret-label-updated.custom-label.json'))).movedStages).toEqual(['BLUE']);
    });

    it('ignores a move of AWSPENDING', () => {
      const event = loadEvent('secret-label-updated.current.json');
      event.detail.labelUpdated = 'AWSPENDING';
      expect(ignored(decodeEvent(event)).reason).toMatch(/AWSPENDING/);
    });
  });

  describe('events that are never a reason to redeploy', () => {
    it.each(['delete-secret.json', 'restore-secret.json'])('ignores %s and says why', (file) => {
      const decision = ignored(decodeEvent(loadEvent(file)));
      expect(decision.reason).toMatch(/never a reason to redeploy/);
      expect(idOf(decision)).toBe(ARN);
    });

    it.each([
      ['get-secret-value.json', 'GetSecretValue'],
      ['tag-resource.json', 'TagResource'],
    ])('ignores %s: it does not change a value', (file, eventName) => {
      const decision = ignored(decodeEvent(loadEvent(file)));
      expect(decision.reason).toBe(`${eventName} does not change a secret's value`);
      expect(decision.trigger.eventName).toBe(eventName);
    });

    it('re-checks the parameter of an SSM Parameter Store Change (Update), by its ARN', () => {
      const decision = decodeEvent(loadEvent('parameter-store-change.update.json'));
      expect(decision).toMatchObject({
        action: 'check',
        target: {
          kind: 'parameter',
          arn: 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/orders/api-token',
          name: '/prod/orders/api-token',
        },
        movedStages: ['AWSCURRENT'],
      });
      expect(decision.trigger).toMatchObject({ source: 'aws.ssm', detailType: 'Parameter Store Change', eventName: 'Update' });
    });

    it.each([
      ['Delete', 'a deleted parameter is never a reason to redeploy'],
      ['LabelParameterVersion', 'does not change the value that unpinned references read'],
    ])('ignores an SSM %s', (operation, reason) => {
      const event = loadEvent('parameter-store-change.update.json');
      const decision = ignored(decodeEvent({ ...event, detail: { ...event.detail, operation } }));
      expect(decision.reason).toContain(reason);
    });

    // Regression: such an event ended in an unknown-parameter error, Lambda retries and the DLQ.
    // Shape: AWS Systems Manager User Guide, "Native parameter support for Amazon Machine Image IDs".
    it('ignores a Create that failed its validation (detail.exception): nothing changed', () => {
      const decision = ignored(decodeEvent(loadEvent('parameter-store-change.create-failed.json')));
      expect(decision.reason).toBe('the Create failed (Unable to Describe Resource): nothing changed');
      expect(idOf(decision)).toBe('arn:aws:ssm:us-east-2:111122223333:parameter/golden-ami');
    });

    it('ignores an Update that failed its validation', () => {
      const event = loadEvent('parameter-store-change.update.json');
      const decision = ignored(decodeEvent({ ...event, detail: { ...event.detail, exception: 'Invalid value' } }));
      expect(decision.reason).toContain('the Update failed (Invalid value)');
    });

    it('rejects an SSM change without the parameter ARN in resources', () => {
      const event = loadEvent('parameter-store-change.update.json');
      expect(() => decodeEvent({ ...event, resources: [] })).toThrow(MalformedEventError);
    });

    it('ignores an event from an unrelated source, naming source and detail-type', () => {
      const decision = ignored(decodeEvent(loadEvent('ec2-instance-state-change.json')));
      expect(decision.reason).toContain('aws.ec2');
      expect(decision.reason).toContain('EC2 Instance State-change Notification');
      expect(idOf(decision)).toBeUndefined();
    });

    it('ignores a Secrets Manager event of an unknown detail-type', () => {
      const event = loadEvent('secret-label-updated.current.json');
      event['detail-type'] = 'Secret Something Else';
      expect(decodeEvent(event).action).toBe('ignore');
    });
  });

  describe('malformed input', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['a string', '{"source":"aws.secretsmanager"}'],
      ['a number', 42],
      ['an array', [loadEvent('put-secret-value.current.json')]],
    ])('rejects %s as not an object', (_label, input) => {
      expectMalformed(input);
    });

    it('rejects an event without detail', () => {
      const event = loadEvent('put-secret-value.current.json');
      delete event.detail;
      expectMalformed(event);
    });

    it.each([['a string'], [null], [['an', 'array']]])('rejects an event whose detail is %p', (detail) => {
      const event = loadEvent('secret-label-updated.current.json');
      event.detail = detail;
      expectMalformed(event);
    });

    it.each(['source', 'detail-type'])('rejects an event without %s', (field) => {
      const event = loadEvent('put-secret-value.current.json');
      delete event[field];
      expectMalformed(event);
    });

    it('rejects a CloudTrail event without detail.eventName', () => {
      const event = loadEvent('put-secret-value.current.json');
      delete event.detail.eventName;
      expectMalformed(event);
    });

    it('rejects a PutSecretValue event that names no secret (no request secretId, null response)', () => {
      const event = loadEvent('put-secret-value.no-response.name.json');
      event.detail.requestParameters = null;
      expectMalformed(event);
    });

    it('rejects a PutSecretValue event whose only secret ids are empty strings', () => {
      const event = loadEvent('put-secret-value.current.json');
      event.detail.requestParameters.secretId = '';
      event.detail.responseElements = { arn: '' };
      expectMalformed(event);
    });

    it.each(['update-secret.new-version.json', 'update-secret-version-stage.current.json', 'rotate-secret.immediate.json'])(
      'rejects %s when it names no secret',
      (file) => {
        const event = loadEvent(file);
        delete event.detail.requestParameters.secretId;
        event.detail.responseElements = file.startsWith('update-secret.') ? { versionId: 'v2' } : null;
        expectMalformed(event);
      },
    );

    it('rejects a RotationSucceeded event without additionalEventData.SecretId', () => {
      const event = loadEvent('rotation-succeeded.service-event.json');
      delete event.detail.additionalEventData.SecretId;
      expectMalformed(event);
    });

    it('rejects a RotationSucceeded event without additionalEventData', () => {
      const event = loadEvent('rotation-succeeded.service-event.json');
      delete event.detail.additionalEventData;
      expectMalformed(event);
    });

    it.each([
      ['no resources', (e: Record<string, any>) => delete e.resources],
      ['empty resources', (e: Record<string, any>) => (e.resources = [])],
      ['a non-string resources[0]', (e: Record<string, any>) => (e.resources = [{ arn: 'x' }])],
      ['no detail.labelUpdated', (e: Record<string, any>) => delete e.detail.labelUpdated],
    ])('rejects a Secret Label Updated event with %s', (_label, mutate) => {
      const event = loadEvent('secret-label-updated.current.json');
      mutate(event);
      expectMalformed(event);
    });

    // Regression: ARNs with such regions reached the SDK and came back as "Region not accepted ...
    // hostname component", or as a deserialization error; they are bad input, before any AWS call.
    describe('secret and parameter ids that break the ARN grammar', () => {
      const put = (id: string) => {
        const event = loadEvent('put-secret-value.current.json');
        event.detail.requestParameters.secretId = id;
        event.detail.responseElements = { arn: id };
        return event;
      };
      it.each([
        ['a region with spaces', 'arn:aws:secretsmanager:us east 1:111122223333:secret:prod/db-a1B2c3', 'invalid region "us east 1"'],
        ['a region that is a path', 'arn:aws:secretsmanager:../../etc:111122223333:secret:prod/db-a1B2c3', 'invalid region "../../etc"'],
        ['an unknown partition', 'arn:aws-moon:secretsmanager:eu-west-1:111122223333:secret:prod/db-a1B2c3', 'unknown partition'],
        ['an empty account', 'arn:aws:secretsmanager:eu-west-1::secret:prod/db-a1B2c3', 'invalid account ""'],
        ['a secret name with a space', 'prod db', 'not a secret name'],
        ['a secret ARN with trailing reference fields', `${ARN}:password::`, 'not a secret ARN'],
        ['an ARN of another service', 'arn:aws:s3:eu-west-1:111122223333:bucket', 'neither a Secrets Manager secret nor an SSM parameter'],
      ])('rejects %s and says what is wrong', (_label, id, problem) => {
        expect(() => decodeEvent(put(id))).toThrow(MalformedEventError);
        expect(() => decodeEvent(put(id))).toThrow(problem);
      });

      it('rejects a parameter ARN with a malformed region in a Parameter Store Change', () => {
        const event = loadEvent('parameter-store-change.update.json');
        event.resources = ['arn:aws:ssm:eu_west_1:111122223333:parameter/prod/orders/api-token'];
        expectMalformed(event);
      });

      it('cuts a huge id short in the message', () => {
        const id = `prod ${'x'.repeat(300_000)}`;
        let message = '';
        try {
          decodeEvent(put(id));
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message.length).toBeLessThan(400);
        expect(message).toContain(`(${id.length} characters)`);
      });
    });

    // Regression: control characters and bidi overrides from the event were echoed raw in messages.
    describe('control and bidi characters from the event', () => {
      it('are escaped in the error message of a malformed id', () => {
        const event = loadEvent('put-secret-value.current.json');
        event.detail.responseElements = { arn: 'prod/\u202edb\u001b[2J' };
        expect(() => decodeEvent(event)).toThrow('"prod/\\u202edb\\u001b[2J"');
      });

      it('are escaped in the reason of an ignored event', () => {
        const event = loadEvent('get-secret-value.json');
        event.detail.eventName = 'Get\u202eSecret\nValue';
        const decision = ignored(decodeEvent(event));
        expect(decision.reason).toBe("Get\\u202eSecret\\nValue does not change a secret's value");
        expect(decision.trigger.eventName).toBe('Get\\u202eSecret\\nValue');
      });

      it('are escaped in the reason of an event from another source', () => {
        const decision = ignored(decodeEvent({ ...loadEvent('ec2-instance-state-change.json'), source: 'aws.\u0007ec2' }));
        expect(decision.reason).toContain('aws.\\u0007ec2');
      });
    });

    it('raises a MalformedEventError that callers treat as bad input (exit code 2)', () => {
      let thrown: unknown;
      try {
        decodeEvent('nope');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BadInputError);
      expect((thrown as Error).name).toBe('MalformedEventError');
    });
  });
});

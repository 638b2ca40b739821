import { decodeEvent, type Signal } from '../../../../functions/domain/decode/events';
import { BadInputError, MalformedEventError } from '../../../../functions/domain/errors';
import { targetText } from '../../../../functions/domain/identity/target';
import { eventFixtureFiles, loadEvent } from '../../../kit/events';

/*
 * The decoder is level-triggered (DESIGN "Shape" and "What counts as the secret changed"): an
 * event only names the secret to reconcile, and the secret's state decides whether anything is
 * due. So every event about a secret that could have moved a stage is a `check`, even one that
 * (like AWSPENDING, a scheduled rotation or a metadata-only UpdateSecret) usually moved nothing:
 * the reconcile then finds nothing due. Warned: DeleteSecret, RotationFailed, RotationAbandoned (the
 * consumers are named, nothing is redeployed). Ignored: failed calls, RestoreSecret, calls
 * that cannot change a value, service events other than RotationSucceeded, ReplicationSucceeded and
 * ReplicationFailed, SSM Delete and
 * LabelParameterVersion, and Parameter Store Changes carrying `detail.exception`.
 *
 * Sources of the shapes: test/fixtures/events (written from the AWS documentation: Secrets
 * Manager "Log AWS Secrets Manager events with AWS CloudTrail" and "Match Secrets Manager events
 * with EventBridge", Systems Manager "Parameter Store events"; base samples in DESIGN's events/
 * folder), varied here field by field.
 */

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders-db-a1B2c3';
const PARAMETER_ARN = 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/orders/api-token';

function check(decision: Signal): Extract<Signal, { action: 'check' }> {
  if (decision.action !== 'check') throw new Error(`expected a check, got ${decision.action}`);
  return decision;
}

function ignored(decision: Signal): Extract<Signal, { action: 'ignore' }> {
  if (decision.action !== 'ignore') throw new Error(`expected ignore, got ${decision.action} of ${targetText(decision.target)}`);
  return decision;
}

function warned(decision: Signal): Extract<Signal, { action: 'warn' }> {
  if (decision.action !== 'warn') throw new Error(`expected a warning, got ${decision.action}`);
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

  // The whole rule in one table: every fixture, and what the decoder makes of it.
  const CHECKED = [
    'parameter-store-change.update.json',
    'put-secret-value.current.json',
    'put-secret-value.custom-stage.json',
    'put-secret-value.explicit-current.json',
    'put-secret-value.legacy-arn-field.json',
    'put-secret-value.no-response.name.json',
    'put-secret-value.no-response.partial-arn.json',
    'put-secret-value.pending.json',
    'rotate-secret.immediate.json',
    'rotate-secret.scheduled.json',
    'rotation-succeeded.service-event.json',
    // The reconcile of the replica reads whether it holds the change, or failed to (then warns).
    'replication-succeeded.service-event.json',
    'replication-failed.service-event.json',
    'secret-label-updated.current.json',
    'secret-label-updated.custom-label.json',
    'update-secret-version-stage.current.json',
    'update-secret-version-stage.custom-stage.json',
    'update-secret-version-stage.pending.json',
    'update-secret-version-stage.previous.json',
    'update-secret.metadata-only.json',
    'update-secret.new-version.json',
  ];

  // Nothing to redeploy, but the consumers must hear of it.
  const WARNED = ['delete-secret.json', 'rotation-failed.service-event.json', 'rotation-abandoned.service-event.json'];

  it.each(eventFixtureFiles())('%s: check, warn or ignore as the tables say', (file) => {
    const expected = CHECKED.includes(file) ? 'check' : WARNED.includes(file) ? 'warn' : 'ignore';
    expect(decodeEvent(loadEvent(file)).action).toBe(expected);
  });

  it('lists only fixtures that exist', () => {
    expect(eventFixtureFiles()).toEqual(expect.arrayContaining(CHECKED));
    expect(eventFixtureFiles()).toEqual(expect.arrayContaining(WARNED.filter((f) => f !== 'rotation-abandoned.service-event.json')));
  });

  it.each([
    'non-matching/create-secret.cloudtrail.json',
    'non-matching/describe-secret.cloudtrail.json',
    'non-matching/ecs-service-action.steady-state.json',
    'non-matching/ecs-task-state-change.json',
    'non-matching/ecs-update-service.cloudtrail.json',
    'non-matching/list-secret-version-ids.cloudtrail.json',
    'non-matching/other-source.put-secret-value.json',
    'non-matching/parameter-store-change.delete.json',
    'non-matching/scheduled-event.json',
  ])('ignores %s', (file) => {
    expect(decodeEvent(loadEvent(file)).action).toBe('ignore');
  });
});

describe('decodeEvent', () => {
  describe('PutSecretValue (CloudTrail API call)', () => {
    it('checks the secret from responseElements.arn when no versionStages are given (AWSCURRENT moves)', () => {
      const decision = check(decodeEvent(loadEvent('put-secret-value.current.json')));
      expect(idOf(decision)).toBe(ARN);
    });

    it('says nothing about stages: a check carries only the target and the trigger', () => {
      expect(Object.keys(check(decodeEvent(loadEvent('put-secret-value.current.json')))).sort()).toEqual(['action', 'target', 'trigger']);
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

    // Whatever stages the new version was given, the state says which moved: AWSPENDING alone
    // (a rotation's first step) finds nothing due, since AWSCURRENT did not move.
    it.each<[string, string[] | undefined]>([
      ['["AWSCURRENT"]', ['AWSCURRENT']],
      ['["AWSPENDING"] (a rotation started, the value is not live)', ['AWSPENDING']],
      ['["BLUE"] (a custom stage)', ['BLUE']],
      ['["AWSPENDING", "BLUE"]', ['AWSPENDING', 'BLUE']],
      ['["BLUE", "AWSCURRENT"]', ['BLUE', 'AWSCURRENT']],
      ['[] (an empty list)', []],
    ])('checks the secret when versionStages is %s', (_label, versionStages) => {
      const event = loadEvent('put-secret-value.current.json');
      event.detail.requestParameters.versionStages = versionStages;
      expect(idOf(check(decodeEvent(event)))).toBe(ARN);
    });

    it.each(['put-secret-value.explicit-current.json', 'put-secret-value.pending.json', 'put-secret-value.custom-stage.json'])(
      'checks the secret of %s',
      (file) => {
        expect(idOf(check(decodeEvent(loadEvent(file))))).toBe(ARN);
      },
    );

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
    });

    // An event forwarded from the secret's region to its consumers' keeps its own region: the
    // name is that region's secret, not a namesake in the region that handles the event.
    it('reads a name in the region the event comes from', () => {
      const event = { ...loadEvent('put-secret-value.no-response.name.json'), region: 'us-east-1' };
      expect(check(decodeEvent(event)).target).toEqual({ kind: 'secret', secretId: 'prod/orders-db', region: 'us-east-1' });
    });

    it("keeps an ARN's own region whatever region the event comes from", () => {
      const event = { ...loadEvent('put-secret-value.current.json'), region: 'us-east-1' };
      expect(check(decodeEvent(event)).target).toMatchObject({ secretId: ARN, arn: { region: 'eu-west-1' } });
    });

    it('reads a name in the home region when the event carries no region (an event written by hand)', () => {
      const { region: _, ...event } = loadEvent('put-secret-value.no-response.name.json');
      expect(check(decodeEvent(event)).target).toEqual({ kind: 'secret', secretId: 'prod/orders-db' });
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
    // DESIGN: a metadata-only edit fires the same event, and the response may be null, {arn} or
    // {aRN} with no versionId: tell them apart from the state, never from the event.
    it.each(['update-secret.new-version.json', 'update-secret.metadata-only.json'])('checks the secret of %s', (file) => {
      expect(idOf(check(decodeEvent(loadEvent(file))))).toBe(ARN);
    });

    it('checks the secret from the legacy {aRN} response without a versionId', () => {
      const event = loadEvent('update-secret.metadata-only.json');
      event.detail.requestParameters.secretId = 'prod/orders-db';
      event.detail.responseElements = { aRN: ARN, name: 'prod/orders-db' };
      expect(idOf(check(decodeEvent(event)))).toBe(ARN);
    });

    it('checks the secret named in the request when responseElements is null', () => {
      const event = loadEvent('update-secret.new-version.json');
      event.detail.responseElements = null;
      expect(idOf(check(decodeEvent(event)))).toBe(ARN);
    });
  });

  describe('UpdateSecretVersionStage', () => {
    it.each([
      ['update-secret-version-stage.current.json', 'AWSCURRENT'],
      ['update-secret-version-stage.previous.json', 'AWSPREVIOUS'],
      ['update-secret-version-stage.pending.json', 'AWSPENDING'],
      ['update-secret-version-stage.custom-stage.json', 'BLUE'],
    ])('checks the secret of %s (%s moved)', (file) => {
      expect(idOf(check(decodeEvent(loadEvent(file))))).toBe(ARN);
    });

    // The stage that moved no longer matters to the decoder (formerly rejected as malformed).
    it('checks the secret even without requestParameters.versionStage', () => {
      const event = loadEvent('update-secret-version-stage.current.json');
      delete event.detail.requestParameters.versionStage;
      expect(idOf(check(decodeEvent(event)))).toBe(ARN);
    });
  });

  describe('RotateSecret', () => {
    // A rotation started; AWSCURRENT moves only when it succeeds (moto: at once). The check finds
    // nothing due until then, and RotationSucceeded / Secret Label Updated check again.
    it.each<[string, boolean | undefined]>([
      ['rotate-secret.immediate.json', undefined],
      ['rotate-secret.immediate.json', true],
      ['rotate-secret.scheduled.json', false],
    ])('checks the secret of %s (rotateImmediately %p)', (file, rotateImmediately) => {
      const event = loadEvent(file);
      if (rotateImmediately !== undefined) event.detail.requestParameters.rotateImmediately = rotateImmediately;
      expect(idOf(check(decodeEvent(event)))).toBe(ARN);
    });
  });

  describe('RotationSucceeded and other service events', () => {
    it('checks the secret named in additionalEventData.SecretId when a rotation succeeded', () => {
      const decision = check(decodeEvent(loadEvent('rotation-succeeded.service-event.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.trigger).toMatchObject({ detailType: 'AWS Service Event via CloudTrail', eventName: 'RotationSucceeded' });
    });

    it('ignores RotationStarted: it makes no new value live', () => {
      const decision = ignored(decodeEvent(loadEvent('rotation-started.service-event.json')));
      expect(decision.reason).toContain('RotationStarted');
      expect(idOf(decision)).toBe(ARN);
    });

    // Source: Secrets Manager "Log AWS Secrets Manager events with AWS CloudTrail" (RotationFailed,
    // RotationAbandoned are service events naming the secret in additionalEventData.SecretId).
    it.each(['RotationFailed', 'RotationAbandoned'])('warns of %s: the consumers keep the old value', (eventName) => {
      const event = loadEvent('rotation-failed.service-event.json');
      event.detail.eventName = eventName;
      const decision = warned(decodeEvent(event));
      expect(decision.warning).toBe('rotation-failed');
      expect(idOf(decision)).toBe(ARN);
      expect(decision.trigger.eventName).toBe(eventName);
    });

    // Source: Secrets Manager "AWS CloudTrail entries for Secrets Manager", "Log entries for
    // replication"; the shape is the rotation events' (docs/how-it-works.md "What AWS emits").
    it.each(['ReplicationSucceeded', 'ReplicationFailed'])(
      'checks the copy named in additionalEventData.SecretId after %s: its reconcile reads whether it holds the change',
      (eventName) => {
        const file = eventName === 'ReplicationSucceeded' ? 'replication-succeeded' : 'replication-failed';
        const decision = check(decodeEvent(loadEvent(`${file}.service-event.json`)));
        expect(idOf(decision)).toBe(ARN);
        expect(decision.trigger).toMatchObject({ detailType: 'AWS Service Event via CloudTrail', eventName });
      },
    );

    it('ignores ReplicationStarted: nothing has reached the replica yet', () => {
      const decision = ignored(decodeEvent(loadEvent('replication-started.service-event.json')));
      expect(decision.reason).toBe('ReplicationStarted does not make a new value live');
      expect(idOf(decision)).toBe(ARN);
    });

    it('refuses a ReplicationSucceeded that names no secret, with the field it looked for', () => {
      const event = loadEvent('replication-succeeded.service-event.json');
      delete event.detail.additionalEventData;
      expect(() => decodeEvent(event)).toThrow(
        new MalformedEventError('ReplicationSucceeded event without detail.additionalEventData.SecretId'),
      );
    });

    it('ignores a service event without an eventName', () => {
      const event = loadEvent('rotation-failed.service-event.json');
      delete event.detail.eventName;
      expect(ignored(decodeEvent(event)).reason).toMatch(/service event/);
    });
  });

  describe('Secret Label Updated (native event)', () => {
    it('checks the secret in resources[0] when AWSCURRENT moved', () => {
      const decision = check(decodeEvent(loadEvent('secret-label-updated.current.json')));
      expect(idOf(decision)).toBe(ARN);
      expect(decision.trigger).toMatchObject({
        source: 'aws.secretsmanager',
        detailType: 'Secret Label Updated',
        eventName: 'Secret Label Updated',
      });
    });

    it('checks the secret when a custom label moved', () => {
      expect(idOf(check(decodeEvent(loadEvent('secret-label-updated.custom-label.json'))))).toBe(ARN);
    });

    // AWS does not document this event for AWSPENDING; if one comes, the state decides.
    it('checks the secret when the label is AWSPENDING', () => {
      const event = loadEvent('secret-label-updated.current.json');
      event.detail.labelUpdated = 'AWSPENDING';
      expect(idOf(check(decodeEvent(event)))).toBe(ARN);
    });
  });

  describe('events that are never a reason to redeploy', () => {
    it('ignores RestoreSecret and says why', () => {
      const decision = ignored(decodeEvent(loadEvent('restore-secret.json')));
      expect(decision.reason).toMatch(/never a reason to redeploy/);
      expect(idOf(decision)).toBe(ARN);
    });

    it("warns of a DeleteSecret: the consumers' new tasks will fail to start", () => {
      const decision = warned(decodeEvent(loadEvent('delete-secret.json')));
      expect(decision.warning).toBe('deleted');
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

    it.each(['Update', 'Create'])('re-checks the parameter of an SSM Parameter Store Change (%s), by its ARN', (operation) => {
      const event = loadEvent('parameter-store-change.update.json');
      const decision = decodeEvent({ ...event, detail: { ...event.detail, operation } });
      expect(decision).toEqual({
        action: 'check',
        target: {
          kind: 'parameter',
          arn: PARAMETER_ARN,
          name: '/prod/orders/api-token',
          location: { partition: 'aws', region: 'eu-west-1', account: '111122223333' },
        },
        trigger: expect.objectContaining({ source: 'aws.ssm', detailType: 'Parameter Store Change', eventName: operation }),
      });
    });

    /**
     * A Create or Update whose asynchronous validation failed (dataType aws:ec2:image): no version
     * was created. Shape from the Systems Manager user guide, "Native parameter support for Amazon
     * Machine Image IDs" (the failure notification) and "Parameter Store events"; DESIGN names it.
     */
    function failedValidation(operation: string): Record<string, unknown> {
      return {
        version: '0',
        id: '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f',
        'detail-type': 'Parameter Store Change',
        source: 'aws.ssm',
        account: '111122223333',
        time: '2026-11-20T10:14:00Z',
        region: 'eu-west-1',
        resources: ['arn:aws:ssm:eu-west-1:111122223333:parameter/golden-ami'],
        detail: { exception: 'Unable to Describe Resource', dataType: 'aws:ec2:image', name: 'golden-ami', type: 'String', operation },
      };
    }

    it.each(['Create', 'Update'])('ignores a %s that failed its validation (detail.exception): nothing changed', (operation) => {
      const decision = ignored(decodeEvent(failedValidation(operation)));
      expect(decision.reason).toContain('Unable to Describe Resource');
      expect(decision.reason).toContain(operation);
      expect(idOf(decision)).toBe('arn:aws:ssm:eu-west-1:111122223333:parameter/golden-ami');
    });

    it('checks the same event once it carries no exception', () => {
      const event = failedValidation('Update');
      const { exception: _, ...detail } = event.detail as Record<string, unknown>;
      expect(idOf(check(decodeEvent({ ...event, detail })))).toBe('arn:aws:ssm:eu-west-1:111122223333:parameter/golden-ami');
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
    it('ignores the fixture of a failed Create (detail.exception) as AWS documents it', () => {
      const decision = ignored(decodeEvent(loadEvent('parameter-store-change.create-failed.json')));
      expect(decision.reason).toBe('the Create failed (Unable to Describe Resource): nothing changed');
      expect(idOf(decision)).toBe('arn:aws:ssm:us-east-2:111122223333:parameter/golden-ami');
    });

    it.each<[string, unknown[]]>([
      ['no resources', []],
      ['a resource that is not a parameter ARN', ['arn:aws:ssm:eu-west-1:111122223333:document/x']],
    ])('rejects an SSM change with %s', (_label, resources) => {
      const event = loadEvent('parameter-store-change.update.json');
      expect(() => decodeEvent({ ...event, resources })).toThrow(MalformedEventError);
    });

    it('rejects an SSM change without detail.operation', () => {
      const event = loadEvent('parameter-store-change.update.json');
      delete event.detail.operation;
      expectMalformed(event);
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

    it('rejects an event that names a secret by name and comes from a region that is none', () => {
      expectMalformed({ ...loadEvent('put-secret-value.no-response.name.json'), region: 'eu west 1' });
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

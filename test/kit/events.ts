/**
 * The EventBridge events this service receives, built in their documented shapes (the fixtures in
 * test/fixtures/events; test/unit/kit/events.test.ts pins each builder to its fixture). Used
 * by the tests, the demo and the benchmark, so that all three feed the handlers the same events.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where an event comes from. */
export interface EventOrigin {
  account: string;
  region: string;
}

type Json = Record<string, unknown>;

let sequence = 0;

function envelope(source: string, detailType: string, origin: EventOrigin, detail: Json, resources: string[] = []): Json {
  sequence += 1;
  return {
    version: '0',
    id: `${detailType.toLowerCase().replace(/[^a-z]+/g, '-')}-${sequence}`,
    'detail-type': detailType,
    source,
    account: origin.account,
    time: new Date().toISOString(),
    region: origin.region,
    resources,
    detail,
  };
}

/** A Secrets Manager call recorded by CloudTrail ("AWS API Call via CloudTrail"). */
function apiCall(origin: EventOrigin, eventName: string, requestParameters: Json, responseElements: Json | null): Json {
  const now = new Date().toISOString();
  return envelope('aws.secretsmanager', 'AWS API Call via CloudTrail', origin, {
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', accountId: origin.account },
    eventTime: now,
    eventSource: 'secretsmanager.amazonaws.com',
    eventName,
    awsRegion: origin.region,
    sourceIPAddress: '203.0.113.10',
    requestParameters,
    responseElements,
    requestID: `request-${sequence}`,
    eventID: `event-${sequence}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: origin.account,
    eventCategory: 'Management',
  });
}

/** The events of Secrets Manager about one secret. */
export function secretEvents(secretArn: string, origin: EventOrigin) {
  return {
    putSecretValue: (versionStages?: string[]) =>
      apiCall(
        origin,
        'PutSecretValue',
        { secretId: secretArn, clientRequestToken: `token-${sequence}`, ...(versionStages ? { versionStages } : {}) },
        { arn: secretArn },
      ),
    updateSecret: (responseElements: Json | null) => apiCall(origin, 'UpdateSecret', { secretId: secretArn }, responseElements),
    updateSecretVersionStage: (versionStage: string, moveToVersionId: string, removeFromVersionId?: string) =>
      apiCall(
        origin,
        'UpdateSecretVersionStage',
        { secretId: secretArn, versionStage, moveToVersionId, ...(removeFromVersionId ? { removeFromVersionId } : {}) },
        { arn: secretArn, name: secretArn.split(':')[6] ?? '' },
      ),
    rotateSecret: () => apiCall(origin, 'RotateSecret', { secretId: secretArn }, { arn: secretArn }),
    deleteSecret: () => apiCall(origin, 'DeleteSecret', { secretId: secretArn, recoveryWindowInDays: 7 }, { arn: secretArn }),
    rotationSucceeded: () => serviceEvent(origin, 'RotationSucceeded', secretArn),
    labelUpdated: (labelUpdated: string, versionId: string, name = secretArn.split(':')[6] ?? '') =>
      envelope('aws.secretsmanager', 'Secret Label Updated', origin, { name, labelUpdated, versionId }, [secretArn]),
  };
}

/** A Secrets Manager service event ("AWS Service Event via CloudTrail"): RotationSucceeded, RotationFailed, ... */
export function serviceEvent(origin: EventOrigin, eventName: string, secretArn: string): Json {
  return envelope('aws.secretsmanager', 'AWS Service Event via CloudTrail', origin, {
    eventVersion: '1.09',
    userIdentity: { accountId: origin.account, invokedBy: 'secretsmanager.amazonaws.com' },
    eventTime: new Date().toISOString(),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName,
    awsRegion: origin.region,
    sourceIPAddress: 'secretsmanager.amazonaws.com',
    userAgent: 'secretsmanager.amazonaws.com',
    requestParameters: null,
    responseElements: null,
    additionalEventData: { SecretId: secretArn },
    requestID: `request-${sequence}`,
    eventID: `event-${sequence}`,
    readOnly: false,
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: origin.account,
  });
}

/** SSM's native "Parameter Store Change" event. */
export function parameterChange(parameterArn: string, operation: string, origin: EventOrigin, extra: Json = {}): Json {
  const name = parameterArn.split(':parameter/')[1] ?? '';
  return envelope(
    'aws.ssm',
    'Parameter Store Change',
    origin,
    { operation, name: name.includes('/') ? `/${name}` : name, type: 'String', description: '', ...extra },
    [parameterArn],
  );
}

/** The EventBridge schedule's event (the reconcile schedule's rule, every 30 minutes as deployed). */
export function scheduledEvent(origin: EventOrigin, rule = 'ecs-secret-redeploy-reconcile'): Json {
  return envelope('aws.events', 'Scheduled Event', origin, {}, [`arn:aws:events:${origin.region}:${origin.account}:rule/${rule}`]);
}

/** ECS's "ECS Deployment State Change" event for one deployment of a service. */
export function deploymentChange(serviceArn: string, eventName: string, deploymentId: string, origin: EventOrigin, reason?: string): Json {
  return envelope(
    'aws.ecs',
    'ECS Deployment State Change',
    origin,
    {
      eventType: eventName.endsWith('FAILED') ? 'ERROR' : 'INFO',
      eventName,
      deploymentId,
      updatedAt: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    },
    [serviceArn],
  );
}

/** CodeDeploy's "CodeDeploy Deployment State-change Notification" for one deployment of a group (state START, SUCCESS, FAILURE, STOP, READY). */
export function codeDeployChange(application: string, group: string, deploymentId: string, state: string, origin: EventOrigin): Json {
  const arn = (resource: string) => `arn:aws:codedeploy:${origin.region}:${origin.account}:${resource}`;
  return envelope(
    'aws.codedeploy',
    'CodeDeploy Deployment State-change Notification',
    origin,
    { region: origin.region, deploymentId, instanceGroupId: `instance-group-${sequence}`, deploymentGroup: group, state, application },
    [arn(`application:${application}`), arn(`deploymentgroup:${application}/${group}`)],
  );
}

export const EVENTS_DIR = join(__dirname, '..', 'fixtures', 'events');

/** A fixture event from test/fixtures/events (a fresh copy on every call). */
export function loadEvent(file: string): Record<string, any> {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8'));
}

/** The fixture files of test/fixtures/events (not its subfolders). */
export function eventFixtureFiles(): string[] {
  return readdirSync(EVENTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/**
 * The optional chat target (param chatTopic, infra/chat-notifications.yml): off by default (no
 * topic, no permission, no variable), created by the stack, or a topic the team gives; the
 * reconciling roles may publish to that one topic only.
 */
import { deployedAs, ensurePackaged, type Json, policyStatements, type Template } from './template';

let template: Template & { Parameters?: Json; Conditions?: Json };

beforeAll(() => {
  template = ensurePackaged().updateTemplate;
}, 180_000);

const ACCOUNT = '111122223333';
const GIVEN = `arn:aws:sns:eu-west-1:${ACCOUNT}:team-chat`;
const RECONCILERS = ['OnSecretChangeRole', 'RedeploySecretRole'];

const deployed = (chatTopic: string) =>
  deployedAs(template, { region: 'eu-west-1', account: ACCOUNT, parameters: { ChatTopic: chatTopic } });

/** The statements allowing sns:Publish in the roles' policies (not the topic's own policy), by role. */
function publishing(resources: Template['Resources']): Record<string, Json[]> {
  const found: Record<string, Json[]> = {};
  for (const { where, statement } of policyStatements({ Resources: resources })) {
    const actions = ([] as unknown[]).concat(statement.Action);
    if (statement.Effect === 'Allow' && actions.some((a) => typeof a === 'string' && a.startsWith('sns:'))) {
      const role = where.split('.')[0];
      if (resources[role].Type === 'AWS::IAM::Role') found[role] = [...(found[role] ?? []), statement];
    }
  }
  return found;
}

const chatTopicVariable = (resources: Template['Resources'], fn: string) =>
  ((resources[fn].Properties?.Environment as Json | undefined)?.Variables as Json | undefined)?.CHAT_TOPIC_ARN;

describe('the chat target (param chatTopic)', () => {
  it('is a template parameter, empty by default, that takes "create" or a standard SNS topic ARN', () => {
    const parameter = (template.Parameters as Record<string, { Default?: string; AllowedPattern?: string }>).ChatTopic;
    expect(parameter.Default).toBe('');
    const allowed = new RegExp(parameter.AllowedPattern ?? '^$');
    for (const value of ['', 'create', GIVEN, 'arn:aws-us-gov:sns:us-gov-west-1:111122223333:chat'])
      expect({ value, allowed: allowed.test(value) }).toEqual({ value, allowed: true });
    for (const value of ['yes', 'arn:aws:sqs:eu-west-1:111122223333:q', `${GIVEN}.fifo`, '*'])
      expect({ value, allowed: allowed.test(value) }).toEqual({ value, allowed: false });
  });

  it('off: no topic, no permission, an empty variable', () => {
    const resources = deployed('');
    expect(Object.values(resources).filter((r) => r.Type.startsWith('AWS::SNS::') && r.Properties?.TopicName !== undefined)).toEqual(
      Object.values(resources).filter((r) => r.Type === 'AWS::SNS::Topic' && String(r.Properties?.TopicName).endsWith('-alarms')),
    );
    expect(resources.ChatNotificationsTopic).toBeUndefined();
    expect(resources.ChatNotificationsTopicPolicy).toBeUndefined();
    expect(publishing(resources)).toEqual({});
    for (const fn of ['OnSecretChangeLambdaFunction', 'RedeploySecretLambdaFunction']) expect(chatTopicVariable(resources, fn)).toBe('');
  });

  it('create: a topic that only the two reconciling roles may publish to, over TLS, and sns:Publish on it alone', () => {
    const resources = deployed('create');
    expect(resources.ChatNotificationsTopic).toMatchObject({
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: 'ecs-secret-redeploy-ci-chat' },
    });
    const policy = resources.ChatNotificationsTopicPolicy.Properties?.PolicyDocument as { Statement: Json[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: RECONCILERS.map((r) => ({ 'Fn::GetAtt': [r, 'Arn'] })) },
        Action: 'sns:Publish',
        Resource: { Ref: 'ChatNotificationsTopic' },
      }),
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    const allowed = publishing(resources);
    expect(Object.keys(allowed).sort()).toEqual(RECONCILERS);
    for (const role of RECONCILERS)
      expect(allowed[role]).toEqual([expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: 'ChatNotificationsTopic' } })]);
    for (const fn of ['OnSecretChangeLambdaFunction', 'RedeploySecretLambdaFunction'])
      expect(chatTopicVariable(resources, fn)).toEqual({ Ref: 'ChatNotificationsTopic' });
  });

  it('a given ARN: no topic created, sns:Publish on that topic alone, for the two reconciling roles only', () => {
    const resources = deployed(GIVEN);
    expect(resources.ChatNotificationsTopic).toBeUndefined();
    const allowed = publishing(resources);
    expect(Object.keys(allowed).sort()).toEqual(RECONCILERS);
    for (const role of RECONCILERS) expect(allowed[role]).toEqual([expect.objectContaining({ Action: 'sns:Publish', Resource: GIVEN })]);
    expect(chatTopicVariable(resources, 'OnSecretChangeLambdaFunction')).toBe(GIVEN);
  });

  it('names the dashboard the messages link, and outputs the topic to configure in the chat channel', () => {
    const resources = deployed('create');
    const variables = (resources.OnSecretChangeLambdaFunction.Properties?.Environment as Json | undefined)?.Variables as Json;
    expect(variables.DASHBOARD_NAME).toBe(resources.Dashboard.Properties?.DashboardName);
    expect(template.Outputs?.ChatTopicArn).toMatchObject({ Condition: 'HasChatTopic' });
  });
});

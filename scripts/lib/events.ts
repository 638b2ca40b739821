/** The event EventBridge delivers for a PutSecretValue call (CloudTrail), in its documented shape. */
export function putSecretValueEvent(options: { secretArn: string; versionId: string; region: string; account: string }): Record<string, unknown> {
  const { secretArn, versionId, region, account } = options;
  const now = new Date().toISOString();
  return {
    version: '0',
    id: `put-secret-value-${versionId}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.secretsmanager',
    account,
    time: now,
    region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      eventTime: now,
      eventSource: 'secretsmanager.amazonaws.com',
      eventName: 'PutSecretValue',
      awsRegion: region,
      requestParameters: { secretId: secretArn, clientRequestToken: versionId },
      responseElements: { arn: secretArn },
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
    },
  };
}

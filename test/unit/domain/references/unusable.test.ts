import { extractReferences, unusableReferences } from '../../../../functions/domain/references/references';
import { secretArn, taskDefinitionUsing } from '../../../kit/factories';

describe('unusableReferences', () => {
  it.each([
    [
      'a Secrets Manager ARN without a name',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:',
      'not a Secrets Manager secret ARN or name ECS accepts',
    ],
    ['an ARN of another service', 'arn:aws:s3:::bucket/key', 'an ARN of s3, not of Secrets Manager or SSM'],
  ])('lists %s, with why, where extractReferences leaves it out', (_label, valueFrom, reason) => {
    const taskDefinition = taskDefinitionUsing('api', [secretArn('prod/db-AbCdEf'), valueFrom]);
    expect(extractReferences(taskDefinition).map((r) => r.valueFrom)).not.toContain(valueFrom);
    expect(unusableReferences(taskDefinition)).toEqual([{ field: 'secrets', container: 'app', name: 'SECRET_1', valueFrom, reason }]);
  });

  it('lists nothing for references ECS accepts', () => {
    expect(unusableReferences(taskDefinitionUsing('api', [secretArn('prod/db-AbCdEf'), 'prod/token', '/prod/token:3']))).toEqual([]);
  });
});

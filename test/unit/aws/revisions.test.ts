import { fromRevisionRow, revisionOf, toRevisionRow } from '../../../functions/aws/state-table/revisions';
import { REFERENCES_FORMAT, type SecretReference } from '../../../functions/domain/references/references';
import { secretArn, smReference, ssmReference, taskDefinitionArn } from '../../kit/factories';

const TD = taskDefinitionArn('orders-api:7');
const REFERENCES: SecretReference[] = [
  smReference(`${secretArn('prod/db-AbCdEf')}:password::`),
  smReference('prod/db', { field: 'repositoryCredentials', name: undefined }),
  ssmReference('arn:aws:ssm:eu-west-1:111122223333:parameter/prod/token'),
  { ...ssmReference('arn:aws:ssm:eu-west-1:111122223333:parameter/prod/pinned'), parameterVersion: '3' },
];

/** The row as DynamoDB gives it back: undefined values are not stored (removeUndefinedValues). */
function stored(row: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!row) throw new Error('no row');
  return JSON.parse(JSON.stringify(row));
}

describe('revision cache rows', () => {
  it('reads back the references written, an empty list too, keyed by the task definition ARN', () => {
    const row = stored(toRevisionRow(TD, REFERENCES));
    expect(row).toMatchObject({ pk: `REVISION#${TD}`, sk: 'REFERENCES', format: REFERENCES_FORMAT });
    expect(revisionOf(row)).toBe(TD);
    expect(fromRevisionRow(row)).toEqual(JSON.parse(JSON.stringify(REFERENCES)));
    expect(fromRevisionRow(stored(toRevisionRow(TD, [])))).toEqual([]);
  });

  it('names no revision for the other items of the table', () => {
    expect(revisionOf({ pk: 'SECRET#x', sk: 'SERVICE#y' })).toBeUndefined();
    expect(revisionOf({ pk: `REVISION#${TD}`, sk: 'OTHER' })).toBeUndefined();
    expect(revisionOf({ pk: 'REVISION#', sk: 'REFERENCES' })).toBeUndefined();
    expect(revisionOf({ pk: 7, sk: 'REFERENCES' })).toBeUndefined();
  });

  it.each([
    ['written in another format', { format: REFERENCES_FORMAT + 1 }],
    ['without a format', { format: undefined }],
    ['references not a list', { references: 'secrets' }],
    ['references missing', { references: undefined }],
    ['a reference that is no object', { references: ['prod/db'] }],
    ['a reference of an unknown field', { references: [{ ...REFERENCES[0], field: 'environment' }] }],
    ['a reference without its text', { references: [{ ...REFERENCES[0], valueFrom: undefined }] }],
    ['a Secrets Manager reference without its parsed secret', { references: [{ ...REFERENCES[0], secret: undefined }] }],
    [
      'a Secrets Manager reference whose secret has no location',
      { references: [{ ...REFERENCES[0], secret: { ...REFERENCES[0].secret, location: undefined } }] },
    ],
    ['an SSM reference without its parameter ARN', { references: [{ ...REFERENCES[2], parameterArn: undefined }] }],
    ['a reference of an unknown store', { references: [{ ...REFERENCES[2], store: 'vault' }] }],
    ['a name that is no string', { references: [{ ...REFERENCES[0], name: 42 }] }],
  ])('reads as unseen a row: %s', (_, change) => {
    const row = { ...stored(toRevisionRow(TD, REFERENCES)), ...change };
    expect(fromRevisionRow(JSON.parse(JSON.stringify(row)))).toBeUndefined();
  });

  it('does not cache a revision whose row would come near the 400 KB item limit', () => {
    const many = Array.from({ length: 2000 }, (_, i) => smReference(`prod/secret-${i}-${'x'.repeat(100)}`));
    expect(toRevisionRow(TD, many)).toBeUndefined();
  });
});

import { decodeManualRequest, manualDryRun, manualSignal } from '../../../../functions/domain/decode/manual-request';
import { MalformedEventError } from '../../../../functions/domain/errors';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders-db-a1B2c3';

describe('decodeManualRequest', () => {
  it('accepts a secret id alone', () => {
    const request = decodeManualRequest({ secretId: 'prod/orders-db' });
    expect(request.target).toEqual({ kind: 'secret', secretId: 'prod/orders-db' });
    expect(request.dryRun).toBeUndefined();
    expect(request.force).toBeUndefined();
  });

  it('keeps dryRun and force flags', () => {
    expect(decodeManualRequest({ secretId: ARN, dryRun: true, force: false })).toMatchObject({
      target: { kind: 'secret', secretId: ARN },
      dryRun: true,
      force: false,
    });
  });

  it('keeps ignoreWindows: redeploy now, whatever the restart windows', () => {
    expect(decodeManualRequest({ secretId: ARN, ignoreWindows: true })).toMatchObject({ ignoreWindows: true });
    expect(decodeManualRequest({ secretId: ARN })).not.toHaveProperty('ignoreWindows');
    expect(() => decodeManualRequest({ secretId: ARN, ignoreWindows: 'now' })).toThrow(
      'manual request "ignoreWindows" must be true or false',
    );
  });

  it('trims whitespace around the secret id', () => {
    expect(decodeManualRequest({ secretId: '  prod/orders-db\n' }).target).toEqual({ kind: 'secret', secretId: 'prod/orders-db' });
  });

  it.each([
    ['null', null],
    ['a string', 'prod/orders-db'],
    ['an array', [{ secretId: 'prod/orders-db' }]],
    ['an object without secretId', { dryRun: true }],
    ['a numeric secretId', { secretId: 42 }],
    ['an empty secretId', { secretId: '' }],
    ['a blank secretId', { secretId: '   ' }],
    ['dryRun as a string', { secretId: 'prod/orders-db', dryRun: 'true' }],
    ['force as a number', { secretId: 'prod/orders-db', force: 1 }],
    ['dryRun null', { secretId: 'prod/orders-db', dryRun: null }],
    ['a secretId that is an ARN of another service', { secretId: 'arn:aws:ssm:eu-west-1:111122223333:document/x' }],
    ['a secretId with a malformed region', { secretId: 'arn:aws:secretsmanager:us east 1:111122223333:secret:prod/db' }],
  ])('rejects %s', (_label, input) => {
    expect(() => decodeManualRequest(input)).toThrow(MalformedEventError);
  });

  it('says what is wrong with the secret id', () => {
    expect(() => decodeManualRequest({ secretId: 'arn:aws:secretsmanager:eu-west-1:1234:secret:prod/db' })).toThrow(
      'manual request names "arn:aws:secretsmanager:eu-west-1:1234:secret:prod/db", which is not a valid ARN: invalid account "1234"',
    );
  });
});

describe("manualDryRun: a request may make a run dry, never undo the stack's dry run", () => {
  const request = (dryRun?: boolean) => ({ ...decodeManualRequest({ secretId: 'prod/db' }), ...(dryRun === undefined ? {} : { dryRun }) });

  it.each<[boolean | undefined, boolean, boolean]>([
    [undefined, false, false],
    [undefined, true, true],
    [true, false, true],
    [false, false, false],
    [true, true, true],
  ])('request dryRun %p on a stack with dryRun %p: runs dry %p', (asked, stack, expected) => {
    expect(manualDryRun(request(asked), stack)).toBe(expected);
  });

  it('refuses "dryRun": false on a dry-run stack, saying what to do instead', () => {
    expect(() => manualDryRun(request(false), true)).toThrow(
      new MalformedEventError(
        'manual request "dryRun": false refused: this stack is deployed with dryRun=true, which a request cannot undo ' +
          '(deploy it with dryRun=false to redeploy)',
      ),
    );
  });
});

describe('manualSignal', () => {
  // Level-triggered: a manual request names the secret to reconcile, like any event; the state decides.
  it('checks the requested secret, triggered manually', () => {
    expect(manualSignal({ kind: 'secret', secretId: 'prod/orders-db' })).toEqual({
      action: 'check',
      target: { kind: 'secret', secretId: 'prod/orders-db' },
      trigger: { source: 'manual' },
    });
  });

  it('checks a requested parameter the same way', () => {
    const target = decodeManualRequest({ secretId: 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/orders/api-token' }).target;
    expect(manualSignal(target)).toEqual({ action: 'check', target, trigger: { source: 'manual' } });
    expect(target.kind).toBe('parameter');
  });
});

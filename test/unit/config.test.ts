import { DEFAULT_STATE_TABLE, loadConfig } from '../../functions/config';
import { ConfigError, EnvironmentError } from '../../functions/domain/errors';

describe('loadConfig', () => {
  it('uses documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      region: undefined,
      endpoint: undefined,
      stateTable: 'ecs-secret-redeploy',
      clusters: [],
      maxConcurrency: 5,
      updateRate: 2,
      updateBurst: 10,
      claimLeaseSeconds: 60,
      deadlineMarginSeconds: 10,
      defaultWave: 1,
      deploymentTimeoutMinutes: 60,
      dryRun: false,
      codeDeployRedeploys: true,
      notificationBus: undefined,
      reconcilerFunction: undefined,
      maxAttempts: 8,
      connectTimeoutSeconds: 5,
      readTimeoutSeconds: 10,
      logLevel: 'info',
      metricsNamespace: 'ecs-secret-redeploy',
      secretOwners: { kind: 'accounts', accounts: [] },
      ownerReadRole: 'ecs-secret-redeploy-owner-read',
      restartDefaults: { windows: [], deadlineMinutes: 1440 },
      wakeups: undefined,
    });
    expect(DEFAULT_STATE_TABLE).toBe('ecs-secret-redeploy');
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig({
      AWS_REGION: 'eu-central-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      STATE_TABLE: 'redeploy-state',
      CLUSTERS: 'prod,staging',
      MAX_CONCURRENCY: '3',
      DRY_RUN: 'true',
      CODEDEPLOY_REDEPLOYS: 'false',
      EVENT_BUS_NAME: 'ops',
      UPDATE_SERVICE_RATE: '0.5',
      UPDATE_SERVICE_BURST: '3',
      CLAIM_LEASE_SECONDS: '90',
      DEADLINE_MARGIN_SECONDS: '15',
      DEFAULT_WAVE: '2',
      DEPLOYMENT_TIMEOUT_MINUTES: '0',
      RECONCILER_FUNCTION: 'ecs-secret-redeploy-prod-on-secret-change',
      AWS_MAX_ATTEMPTS: '4',
      CONNECT_TIMEOUT_SECONDS: '2',
      READ_TIMEOUT_SECONDS: '0',
      LOG_LEVEL: 'silent',
      POWERTOOLS_METRICS_NAMESPACE: 'acme/redeploys',
      SECRET_OWNERS: '111111111111, 444444444444',
      OWNER_READ_ROLE: 'acme-secret-reader',
      DEFAULT_RESTART_WINDOW: 'Mon-Fri 02:00-04:00 Europe/Berlin; Sat 10:00-12:00 UTC',
      DEFAULT_RESTART_DEADLINE: '7d',
      WAKEUP_SCHEDULE_GROUP: 'ecs-secret-redeploy-prod-wakeups',
      WAKEUP_ROLE_ARN: 'arn:aws:iam::111122223333:role/ecs-secret-redeploy/wakeups',
      WAKEUP_TARGET_ARN: 'arn:aws:lambda:eu-central-1:111122223333:function:ecs-secret-redeploy-prod-on-secret-change',
    });
    expect(config).toEqual({
      region: 'eu-central-1',
      endpoint: 'http://127.0.0.1:5000',
      stateTable: 'redeploy-state',
      clusters: ['prod', 'staging'],
      maxConcurrency: 3,
      updateRate: 0.5,
      updateBurst: 3,
      claimLeaseSeconds: 90,
      deadlineMarginSeconds: 15,
      defaultWave: 2,
      deploymentTimeoutMinutes: 0,
      dryRun: true,
      codeDeployRedeploys: false,
      notificationBus: 'ops',
      reconcilerFunction: 'ecs-secret-redeploy-prod-on-secret-change',
      maxAttempts: 4,
      connectTimeoutSeconds: 2,
      readTimeoutSeconds: 0,
      logLevel: 'silent',
      metricsNamespace: 'acme/redeploys',
      secretOwners: { kind: 'accounts', accounts: ['111111111111', '444444444444'] },
      ownerReadRole: 'acme-secret-reader',
      restartDefaults: {
        windows: [
          { text: 'Mon-Fri 02:00-04:00 Europe/Berlin', days: [1, 2, 3, 4, 5], opens: 120, closes: 240, zone: 'Europe/Berlin' },
          { text: 'Sat 10:00-12:00 UTC', days: [6], opens: 600, closes: 720, zone: 'UTC' },
        ],
        deadlineMinutes: 10080,
      },
      wakeups: {
        group: 'ecs-secret-redeploy-prod-wakeups',
        roleArn: 'arn:aws:iam::111122223333:role/ecs-secret-redeploy/wakeups',
        functionArn: 'arn:aws:lambda:eu-central-1:111122223333:function:ecs-secret-redeploy-prod-on-secret-change',
      },
    });
  });

  it('refuses a default window or deadline that does not parse, and wakeup settings that come apart', () => {
    expect(() => loadConfig({ DEFAULT_RESTART_WINDOW: 'nights 02:00-04:00 UTC' })).toThrow(
      /DEFAULT_RESTART_WINDOW "nights 02:00-04:00 UTC" does not parse: "nights" is not daily/,
    );
    expect(() => loadConfig({ DEFAULT_RESTART_DEADLINE: 'a week' })).toThrow(/DEFAULT_RESTART_DEADLINE "a week" is not a duration/);
    expect(() => loadConfig({ WAKEUP_SCHEDULE_GROUP: 'wakeups' })).toThrow(/go together: set all three or none/);
    expect(() =>
      loadConfig({
        WAKEUP_SCHEDULE_GROUP: 'wakeups',
        WAKEUP_ROLE_ARN: 'role',
        WAKEUP_TARGET_ARN: 'arn:aws:lambda:eu-west-1:111122223333:function:f',
      }),
    ).toThrow(/WAKEUP_ROLE_ARN must be an IAM role ARN/);
  });

  it('reads the allowed secret owners: account ids, or the organization; refuses anything else', () => {
    expect(loadConfig({ SECRET_OWNERS: 'Organization' }).secretOwners).toEqual({ kind: 'organization' });
    expect(loadConfig({ SECRET_OWNERS: ' ' }).secretOwners).toEqual({ kind: 'accounts', accounts: [] });
    expect(() => loadConfig({ SECRET_OWNERS: '111111111111,o-abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ SECRET_OWNERS: '11111111111' })).toThrow(/SECRET_OWNERS must be "organization" or 12-digit account ids/);
    expect(() => loadConfig({ OWNER_READ_ROLE: 'role/with/path' })).toThrow(/OWNER_READ_ROLE must be an IAM role name/);
  });

  it('takes a caller default for the attempts, which AWS_MAX_ATTEMPTS still overrides', () => {
    expect(loadConfig({}, {}, { maxAttempts: 3 }).maxAttempts).toBe(3);
    expect(loadConfig({ AWS_MAX_ATTEMPTS: '5' }, {}, { maxAttempts: 3 }).maxAttempts).toBe(5);
  });

  it('falls back to AWS_DEFAULT_REGION, and prefers AWS_REGION', () => {
    expect(loadConfig({ AWS_DEFAULT_REGION: 'us-east-1' }).region).toBe('us-east-1');
    expect(loadConfig({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }).region).toBe('eu-west-1');
  });

  it('treats blank values as unset', () => {
    const config = loadConfig({
      AWS_REGION: '  ',
      STATE_TABLE: '',
      MAX_CONCURRENCY: ' ',
      DRY_RUN: '',
      LOG_LEVEL: '',
      POWERTOOLS_METRICS_NAMESPACE: ' ',
    });
    expect(config.region).toBeUndefined();
    expect(config.stateTable).toBe(DEFAULT_STATE_TABLE);
    expect(config.maxConcurrency).toBe(5);
    expect(config.dryRun).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.metricsNamespace).toBe('ecs-secret-redeploy');
  });

  it('splits CLUSTERS on commas, trimming blanks and dropping empty names', () => {
    expect(loadConfig({ CLUSTERS: ' prod , ,arn:aws:ecs:eu-west-1:111122223333:cluster/staging,' }).clusters).toEqual([
      'prod',
      'arn:aws:ecs:eu-west-1:111122223333:cluster/staging',
    ]);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['No', false],
  ])('reads DRY_RUN=%s as %p', (raw, expected) => {
    expect(loadConfig({ DRY_RUN: raw }).dryRun).toBe(expected);
  });

  // Regression: Number() read MAX_CONCURRENCY=0x10 as 16 and 1e1 as 10.
  it.each(['0x10', '1e1', '2.0', '-3'])('refuses MAX_CONCURRENCY=%s, which is not a plain positive integer', (raw) => {
    expect(() => loadConfig({ MAX_CONCURRENCY: raw })).toThrow(ConfigError);
  });

  it('reads LOG_LEVEL case-insensitively', () => {
    expect(loadConfig({ LOG_LEVEL: 'SILENT' }).logLevel).toBe('silent');
  });

  it('reads nothing from process.env when given an environment', () => {
    const saved = process.env.STATE_TABLE;
    process.env.STATE_TABLE = 'from-process-env';
    try {
      expect(loadConfig({}).stateTable).toBe(DEFAULT_STATE_TABLE);
    } finally {
      if (saved === undefined) delete process.env.STATE_TABLE;
      else process.env.STATE_TABLE = saved;
    }
  });

  describe('overrides (CLI options)', () => {
    it('win over the environment', () => {
      const config = loadConfig(
        { DRY_RUN: 'true', MAX_CONCURRENCY: '3', CLUSTERS: 'prod' },
        { dryRun: false, maxConcurrency: 10, clusters: ['staging'], region: 'us-west-2' },
      );
      expect(config).toMatchObject({ dryRun: false, maxConcurrency: 10, clusters: ['staging'], region: 'us-west-2' });
    });

    it('leave a setting alone when undefined', () => {
      expect(loadConfig({ MAX_CONCURRENCY: '3', AWS_REGION: 'eu-west-1' }, { maxConcurrency: undefined, region: undefined })).toMatchObject(
        { maxConcurrency: 3, region: 'eu-west-1' },
      );
    });

    it.each([0, 51, 2.5, Number.NaN])('reject a max concurrency of %p', (maxConcurrency) => {
      expect(() => loadConfig({}, { maxConcurrency })).toThrow(ConfigError);
    });

    it('accept the bounds 1 and 50', () => {
      expect(loadConfig({}, { maxConcurrency: 1 }).maxConcurrency).toBe(1);
      expect(loadConfig({}, { maxConcurrency: 50 }).maxConcurrency).toBe(50);
    });
  });

  describe('bad values', () => {
    it.each([
      ['MAX_CONCURRENCY', '0'],
      ['MAX_CONCURRENCY', '-2'],
      ['MAX_CONCURRENCY', '2.5'],
      ['MAX_CONCURRENCY', 'five'],
      ['MAX_CONCURRENCY', '51'],
      ['UPDATE_SERVICE_RATE', '0'],
      ['UPDATE_SERVICE_RATE', 'fast'],
      ['UPDATE_SERVICE_RATE', '-1'],
      ['CLAIM_LEASE_SECONDS', '0'],
      ['CLAIM_LEASE_SECONDS', 'a minute'],
      ['AWS_MAX_ATTEMPTS', '-1'],
      ['AWS_MAX_ATTEMPTS', '3x'],
      ['DRY_RUN', 'maybe'],
      ['LOG_LEVEL', 'debug'],
      ['CONNECT_TIMEOUT_SECONDS', '-1'],
      ['READ_TIMEOUT_SECONDS', '1.5'],
      ['READ_TIMEOUT_SECONDS', 'soon'],
      ['DEFAULT_WAVE', 'canary'],
      ['DEFAULT_WAVE', '1.5'],
      ['DEPLOYMENT_TIMEOUT_MINUTES', '-5'],
      ['DEPLOYMENT_TIMEOUT_MINUTES', 'an hour'],
      ['AWS_REGION', 'us east 1'],
      ['AWS_REGION', '../../etc'],
      ['AWS_DEFAULT_REGION', 'EU-WEST-1'],
      ['AWS_ENDPOINT_URL', 'localhost:4566'],
      ['AWS_ENDPOINT_URL', 'ftp://127.0.0.1'],
    ])('rejects %s=%p with a ConfigError', (name, raw) => {
      expect(() => loadConfig({ [name]: raw })).toThrow(ConfigError);
    });

    it('escapes control characters of a bad value in the message', () => {
      expect(() => loadConfig({ AWS_REGION: 'eu\u001b[2J' })).toThrow(
        'AWS_REGION must be a region name such as eu-west-1, got "eu\\u001b[2J"',
      );
    });

    it('names the setting and the bad value in the message', () => {
      expect(() => loadConfig({ CLAIM_LEASE_SECONDS: 'soon' })).toThrow(/CLAIM_LEASE_SECONDS.*"soon"/);
    });

    it('raises an error the CLI treats as configuration, not input (exit code 3)', () => {
      expect(() => loadConfig({ DRY_RUN: 'perhaps' })).toThrow(EnvironmentError);
    });
  });
});

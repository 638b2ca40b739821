import { type RawOptions, settingsOf } from '../../../functions/cli/options';
import { type Format, REPORT_FORMATS } from '../../../functions/cli/output';
import { BadInputError } from '../../../functions/domain/errors';

const PLAN = { name: 'plan', formats: REPORT_FORMATS };
const settings = (raw: RawOptions, command: { name: string; formats: readonly Format[] } = PLAN, env = {}, tty = false) =>
  settingsOf(raw, command, env, tty);

describe('settingsOf', () => {
  it('defaults to a table, colours on a terminal, not verbose, nothing overridden', () => {
    expect(settings({ color: true }, PLAN, {}, true)).toEqual({
      format: 'table',
      color: true,
      verbose: false,
      overrides: {},
    });
  });

  it.each([
    [{ json: true }, 'json'],
    [{ output: 'json' }, 'json'],
    [{ output: 'text' }, 'text'],
    [{ json: true, output: 'json' }, 'json'],
  ])('reads the format from %j', (raw, format) => {
    expect(settings(raw).format).toBe(format);
  });

  it('takes mermaid for a command that offers it', () => {
    expect(settings({ output: 'mermaid' }, { name: 'secrets', formats: ['json', 'table', 'text', 'mermaid'] }).format).toBe('mermaid');
  });

  it.each([
    [{ color: false }, {}, true],
    [{ color: true }, { NO_COLOR: '1' }, true],
    [{ color: true }, {}, false],
  ])('turns colours off for %j with environment %j (stdout a terminal: %p)', (raw, env, tty) => {
    expect(settings(raw, PLAN, env, tty).color).toBe(false);
  });

  it('turns every option into a configuration override', () => {
    expect(
      settings({
        region: 'us-gov-west-1',
        profile: 'ops',
        endpointUrl: 'http://127.0.0.1:5000',
        table: 'state.v2',
        connectTimeout: '0',
        readTimeout: '30',
        clusters: 'web, arn:aws:ecs:eu-west-1:111122223333:cluster/batch,',
        concurrency: '50',
      }).overrides,
    ).toEqual({
      region: 'us-gov-west-1',
      profile: 'ops',
      endpoint: 'http://127.0.0.1:5000',
      stateTable: 'state.v2',
      connectTimeoutSeconds: 0,
      readTimeoutSeconds: 30,
      clusters: ['web', 'arn:aws:ecs:eu-west-1:111122223333:cluster/batch'],
      maxConcurrency: 50,
    });
  });

  it("turns CodeDeploy redeploys off with --no-codedeploy, and leaves the environment's setting without it", () => {
    expect(settings({ codedeploy: false }).overrides.codeDeployRedeploys).toBe(false);
    expect(settings({ codedeploy: true }).overrides.codeDeployRedeploys).toBeUndefined();
    expect(settings({}).overrides.codeDeployRedeploys).toBeUndefined();
  });

  it.each([
    [{ region: 'eu-west-1 ' }, '--region'],
    [{ profile: 'my profile' }, '--profile'],
    [{ endpointUrl: 'file:///etc/passwd' }, '--endpoint-url'],
    [{ table: 'ab' }, '--table'],
    [{ connectTimeout: '-1' }, '--connect-timeout'],
    [{ readTimeout: '1.5' }, '--read-timeout'],
    [{ clusters: ',' }, '--clusters names no cluster'],
    [{ clusters: 'arn:aws:ecs:eu-west-1:111122223333:service/web/api' }, '--clusters'],
    [{ concurrency: '51' }, '--concurrency'],
    [{ concurrency: '0x10' }, '--concurrency'],
  ])('refuses %j as bad input naming the option', (raw, option) => {
    expect(() => settings(raw)).toThrow(BadInputError);
    expect(() => settings(raw)).toThrow(option);
  });
});

import { Command, CommanderError } from 'commander';
import { EXIT, endingOf, UsageError } from '../../../functions/cli/exit';
import {
  BadInputError,
  ConfigError,
  ForeignAccountError,
  MalformedEventError,
  StateTableMissingError,
  UnknownSecretError,
} from '../../../functions/domain/errors';

describe('endingOf', () => {
  it.each([
    ['bad input', new BadInputError('x'), EXIT.badInput],
    ['an unknown secret', new UnknownSecretError('x'), EXIT.badInput],
    ['a secret of another account', new ForeignAccountError('x'), EXIT.badInput],
    ['a malformed event', new MalformedEventError('x'), EXIT.badInput],
    ['a configuration value of the environment', new ConfigError('x'), EXIT.environment],
    ['a missing state table', new StateTableMissingError('x'), EXIT.environment],
    [
      'no credentials',
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      EXIT.environment,
    ],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), EXIT.environment],
    ['an AWS error', Object.assign(new Error('boom'), { name: 'ServerException', $metadata: {} }), EXIT.failed],
    ['anything else', new Error('boom'), EXIT.failed],
  ])('exits %s with its code', (_label, error, code) => {
    expect(endingOf(error, {}).code).toBe(code);
  });

  it('gives the first line of a message, escaped', () => {
    expect(endingOf(new Error('one \u202e\ntwo'), {}).message).toBe('one \\u202e');
  });

  describe('parsing errors', () => {
    const program = new Command('tool');
    const plan = program.command('plan');
    plan.option('--scan');
    program.command('redeploy').option('--force');

    it.each([
      ['help shown on request', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), plan, { code: 0 }],
      ['the version', new CommanderError(0, 'commander.version', '1.0.0'), program, { code: 0 }],
      ['help of `help plan`', new CommanderError(0, 'commander.help', '(outputHelp)'), plan, { code: 0 }],
      [
        'a program called without a command',
        new CommanderError(1, 'commander.help', '(outputHelp)'),
        program,
        { code: 2, message: 'name a command; see "tool --help"' },
      ],
      [
        'an option of another command',
        new CommanderError(1, 'commander.unknownOption', "error: unknown option '--force'"),
        plan,
        { code: 2, message: 'option --force does not apply to plan (it is an option of redeploy); see "tool plan --help"' },
      ],
      [
        'an unknown option, with the suggestion on one line',
        new CommanderError(1, 'commander.unknownOption', "error: unknown option '--scna'\n(Did you mean --scan?)"),
        plan,
        { code: 2, message: 'unknown option \'--scna\' (Did you mean --scan?); see "tool plan --help"' },
      ],
    ])('%s', (_label, parsing, command, ending) => {
      expect(endingOf(new UsageError(parsing, command), {})).toEqual(ending);
    });
  });
});

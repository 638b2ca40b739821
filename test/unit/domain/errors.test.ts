import {
  BadInputError,
  ConfigError,
  EnvironmentError,
  errorLine,
  ForeignAccountError,
  MalformedEventError,
  RedeployError,
  StateTableMissingError,
  UnknownSecretError,
} from '../../../functions/domain/errors';

describe('error hierarchy', () => {
  it.each([
    ['UnknownSecretError', new UnknownSecretError('x'), BadInputError],
    ['ForeignAccountError', new ForeignAccountError('x'), BadInputError],
    ['MalformedEventError', new MalformedEventError('x'), BadInputError],
    ['ConfigError', new ConfigError('x'), EnvironmentError],
    ['StateTableMissingError', new StateTableMissingError('x'), EnvironmentError],
  ])('%s is a kind of %p', (name, error, parent) => {
    expect(error).toBeInstanceOf(parent);
    expect(error).toBeInstanceOf(RedeployError);
    expect(error.name).toBe(name);
  });

  it('keeps input errors apart from environment errors (exit 2 against exit 3)', () => {
    expect(new ConfigError('x')).not.toBeInstanceOf(BadInputError);
    expect(new MalformedEventError('x')).not.toBeInstanceOf(EnvironmentError);
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new BadInputError('x', { cause }).cause).toBe(cause);
  });

  it('escapes control and bidi characters of every message, whoever built it', () => {
    expect(new MalformedEventError('event names "a\u202eb\u001b[2J"').message).toBe('event names "a\\u202eb\\u001b[2J"');
  });
});

describe('errorLine', () => {
  it.each([
    ['a named error', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }), 'ThrottlingException: Rate exceeded'],
    ['a plain Error by its message', new Error('boom'), 'boom'],
    ['only the first line', new Error('first\nsecond'), 'first'],
    ['a thrown string', 'text', 'text'],
    ['escaped characters of a foreign error', new Error('bad \u202e name'), 'bad \\u202e name'],
  ])('gives %s', (_label, error, expected) => {
    expect(errorLine(error)).toBe(expected);
  });
});

import { type Desired, desiredVersions } from '../../../../functions/domain/ledger/desired';
import type { SecretReference } from '../../../../functions/domain/references/references';
import { HOME, secretArn, secretState, smReference, ssmReference } from '../../../kit/factories';

/*
 * DESIGN "Secrets Manager grammar": default AWSCURRENT; pinned to a version id never affected;
 * AWSPREVIOUS follows AWSPREVIOUS (which moves with AWSCURRENT); a custom stage follows that
 * stage. Carries the stage rules of the superseded plan.test.ts: level-triggered, the consumer
 * must run the version each followed stage points to now, whatever event moved it.
 */

const DB = secretArn('prod/db-AbCdEf');
const V_CURRENT = '5e7a9c1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d';
const V_PREVIOUS = '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a';
const V_BLUE = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const V_OLD = '11111111-2222-4333-8444-555555555555';
const STATE = secretState({ [V_CURRENT]: ['AWSCURRENT'], [V_PREVIOUS]: ['AWSPREVIOUS'], [V_BLUE]: ['BLUE'], [V_OLD]: [] });

describe('desiredVersions', () => {
  it.each<[string, SecretReference[], Desired]>([
    ['a plain ARN follows AWSCURRENT', [smReference(DB)], { kind: 'follows', versions: { AWSCURRENT: V_CURRENT } }],
    [
      // A json key changes what is read from the value, not which version: one stage, one version.
      'json keys and an explicit AWSCURRENT all follow AWSCURRENT',
      [smReference(DB), smReference(`${DB}:password::`), smReference(`${DB}::AWSCURRENT:`)],
      { kind: 'follows', versions: { AWSCURRENT: V_CURRENT } },
    ],
    [
      'AWSPREVIOUS follows the previous version',
      [smReference(`${DB}::AWSPREVIOUS:`)],
      { kind: 'follows', versions: { AWSPREVIOUS: V_PREVIOUS } },
    ],
    ['a custom stage follows its own version', [smReference(`${DB}:password:BLUE:`)], { kind: 'follows', versions: { BLUE: V_BLUE } }],
    ['a version id is pinned', [smReference(`${DB}:password::${V_PREVIOUS}`)], { kind: 'pinned', pins: [`version id ${V_PREVIOUS}`] }],
    // Pinned to the current version is still pinned: a later move of AWSCURRENT must not touch it.
    [
      'a version id equal to AWSCURRENT is still pinned',
      [smReference(`${DB}:::${V_CURRENT}`)],
      { kind: 'pinned', pins: [`version id ${V_CURRENT}`] },
    ],
    [
      'several pins list each id once, in order of appearance',
      [smReference(`${DB}:::${V_PREVIOUS}`), smReference(`${DB}:password::${V_OLD}`), smReference(`${DB}:user::${V_PREVIOUS}`)],
      { kind: 'pinned', pins: [`version id ${V_PREVIOUS}`, `version id ${V_OLD}`] },
    ],
    [
      // The unpinned reference alone decides: the pinned one neither adds a stage nor blocks.
      'a pinned and a followed reference follow the followed stage only',
      [smReference(`${DB}:::${V_PREVIOUS}`), smReference(`${DB}:password::`)],
      { kind: 'follows', versions: { AWSCURRENT: V_CURRENT } },
    ],
    [
      'several stages are all desired, sorted by stage',
      [smReference(`${DB}::BLUE:`), smReference(`${DB}::AWSPREVIOUS:`), smReference(DB)],
      { kind: 'follows', versions: { AWSCURRENT: V_CURRENT, AWSPREVIOUS: V_PREVIOUS, BLUE: V_BLUE } },
    ],
    ['a custom stage attached to no version is unattached', [smReference(`${DB}::GREEN:`)], { kind: 'unattached', stages: ['GREEN'] }],
    [
      // An unattached stage makes the whole consumer unattached: half a deploy target is no target.
      'one unattached stage among attached ones is unattached',
      [smReference(DB), smReference(`${DB}::GREEN:`), smReference(`${DB}::BLUE:`)],
      { kind: 'unattached', stages: ['GREEN'] },
    ],
  ])('%s', (_label, references, expected) => {
    expect(desiredVersions(references, STATE)).toEqual(expected);
  });

  it('leaves AWSPREVIOUS unattached while the secret has no previous version yet', () => {
    const state = secretState({ [V_CURRENT]: ['AWSCURRENT'] });
    expect(desiredVersions([smReference(`${DB}::AWSPREVIOUS:`)], state)).toEqual({ kind: 'unattached', stages: ['AWSPREVIOUS'] });
  });

  it('lists several unattached stages sorted', () => {
    const state = secretState({ [V_CURRENT]: ['AWSCURRENT'] });
    expect(desiredVersions([smReference(`${DB}::GREEN:`), smReference(`${DB}::AWSPREVIOUS:`)], state)).toEqual({
      kind: 'unattached',
      stages: ['AWSPREVIOUS', 'GREEN'],
    });
  });

  it('reads the version that holds a stage now, wherever that is in the state (a rollback re-promotes an old one)', () => {
    const rolledBack = secretState({ [V_CURRENT]: ['AWSPREVIOUS'], [V_PREVIOUS]: ['AWSCURRENT'] });
    expect(desiredVersions([smReference(DB)], rolledBack)).toEqual({ kind: 'follows', versions: { AWSCURRENT: V_PREVIOUS } });
  });

  it('ignores AWSPENDING on a version while AWSCURRENT stays where it is (a rotation not finished)', () => {
    const rotating = secretState({ [V_CURRENT]: ['AWSCURRENT'], [V_BLUE]: ['AWSPENDING'] });
    expect(desiredVersions([smReference(DB)], rotating)).toEqual({ kind: 'follows', versions: { AWSCURRENT: V_CURRENT } });
  });

  it('pins a reference carrying a stage and a version id together by the id (DESIGN: the ECS agent accepts both)', () => {
    // Built by hand, so that this pins desiredVersions alone (the parser's side is the test below).
    const both: SecretReference = {
      ...smReference(DB),
      valueFrom: `${DB}::AWSCURRENT:${V_PREVIOUS}`,
      secret: { ...smReference(DB).secret!, versionStage: 'AWSCURRENT', versionId: V_PREVIOUS },
    };
    expect(desiredVersions([both], STATE)).toEqual({ kind: 'pinned', pins: [`version id ${V_PREVIOUS}`] });
  });

  // Regression: parseSecretsManagerRef once rejected `...:json-key:STAGE:ID`, which the ECS agent accepts
  // (pinned by the id): such a reference was dropped, and its service never indexed as a consumer.
  it('parses a reference with a stage and a version id together, pinned by the id', () => {
    expect(desiredVersions([smReference(`${DB}::AWSCURRENT:${V_PREVIOUS}`)], STATE)).toEqual({
      kind: 'pinned',
      pins: [`version id ${V_PREVIOUS}`],
    });
  });

  describe('SSM parameters', () => {
    const PARAMETER = `arn:aws:ssm:${HOME.region}:${HOME.account}:parameter/prod/orders/api-token`;
    // A parameter's state: its current version (a number) holds AWSCURRENT.
    const PARAMETER_STATE = secretState({ '3': ['AWSCURRENT'] }, { kind: 'parameter', arn: PARAMETER, name: '/prod/orders/api-token' });

    it('follows the current version of the parameter', () => {
      expect(desiredVersions([ssmReference(PARAMETER)], PARAMETER_STATE)).toEqual({ kind: 'follows', versions: { AWSCURRENT: '3' } });
    });

    it('follows it through every field that reads it', () => {
      const references = [ssmReference(PARAMETER), ssmReference(PARAMETER, 'logConfiguration.secretOptions')];
      expect(desiredVersions(references, PARAMETER_STATE)).toEqual({ kind: 'follows', versions: { AWSCURRENT: '3' } });
    });

    // Regression: the selector of `name:3` or `name:label` was once kept in the parameter ARN, and the
    // reference treated as following the current version; it reads parameter `name`, pinned.
    it.each([
      ['a version selector (`name:2`)', { parameterVersion: '2' }, 'version 2'],
      ['a label selector (`name:blue`)', { parameterLabel: 'blue' }, 'label blue'],
    ])('treats a reference with %s as pinned', (_label, pin, text) => {
      expect(desiredVersions([{ ...ssmReference(PARAMETER), ...pin }], PARAMETER_STATE)).toEqual({ kind: 'pinned', pins: [text] });
    });
  });

  it('calls a consumer with no reference at all "pinned" to nothing', () => {
    // Callers never ask about a service without references; this pins what they would get if they did:
    // nothing to deploy, rather than a claim on an empty target.
    expect(desiredVersions([], STATE)).toEqual({ kind: 'pinned', pins: [] });
  });
});

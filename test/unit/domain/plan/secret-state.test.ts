import { rotationPending, versionOfStage } from '../../../../functions/domain/plan/secret-state';
import { secretState } from '../../../kit/factories';

const V1 = '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a';
const V2 = '5e7a9c1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d';

describe('versionOfStage', () => {
  const state = secretState({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT', 'BLUE'] });

  it('gives the version that holds AWSCURRENT', () => {
    expect(versionOfStage(state, 'AWSCURRENT')).toBe(V2);
  });

  it('gives the version that holds AWSPREVIOUS', () => {
    expect(versionOfStage(state, 'AWSPREVIOUS')).toBe(V1);
  });

  it('finds a custom stage sharing a version with AWSCURRENT', () => {
    expect(versionOfStage(state, 'BLUE')).toBe(V2);
  });

  it('gives undefined for a stage attached to no version', () => {
    expect(versionOfStage(state, 'AWSPENDING')).toBeUndefined();
    expect(versionOfStage(secretState({}), 'AWSCURRENT')).toBeUndefined();
  });

  it('does not match a stage by prefix', () => {
    expect(versionOfStage(secretState({ [V1]: ['AWSCURRENTX'] }), 'AWSCURRENT')).toBeUndefined();
  });
});

describe('rotationPending', () => {
  it('is true while AWSPENDING is on another version than AWSCURRENT', () => {
    expect(rotationPending(secretState({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING'] }))).toBe(true);
  });

  it('is false when AWSPENDING is left on the current version after a rotation', () => {
    expect(rotationPending(secretState({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT', 'AWSPENDING'] }))).toBe(false);
  });

  it('is false without AWSPENDING', () => {
    expect(rotationPending(secretState({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'] }))).toBe(false);
  });

  it('is true for a first version still pending (no AWSCURRENT yet)', () => {
    expect(rotationPending(secretState({ [V2]: ['AWSPENDING'] }))).toBe(true);
  });
});

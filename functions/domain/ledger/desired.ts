import { type SecretState, versionOfStage } from '../plan/secret-state';
import { followedStages, pinOf, type SecretReference } from '../references/references';
import type { Versions } from './record';

/** The versions a consumer's tasks must run, given its references to one secret and the secret's stages now. */
export type Desired =
  /** Stage -> the version that holds it now, for every stage the references follow. */
  | { kind: 'follows'; versions: Versions }
  /**
   * Every reference is pinned (to a version id; a parameter to a version or a label): no change
   * of stages ever affects it. `pins` says to what, e.g. "version id 8c1f…", "version 3".
   */
  | { kind: 'pinned'; pins: string[] }
  /** A followed stage is attached to no version (a custom stage removed): nothing to deploy to. */
  | { kind: 'unattached'; stages: string[] };

export function desiredVersions(references: SecretReference[], secret: SecretState): Desired {
  const stages = followedStages(references);
  if (stages.length === 0) {
    return { kind: 'pinned', pins: [...new Set(references.map(pinOf).filter((p): p is string => p !== undefined))] };
  }
  const versions: Versions = {};
  const unattached: string[] = [];
  for (const stage of stages) {
    const version = versionOfStage(secret, stage);
    if (version === undefined) unattached.push(stage);
    else versions[stage] = version;
  }
  return unattached.length > 0 ? { kind: 'unattached', stages: unattached } : { kind: 'follows', versions };
}

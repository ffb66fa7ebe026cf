import { refused } from '../step.js';
import type { ModelVersion } from './client.js';

/** The version an alias moves to, and why: what the timeline tells and the version tags record. */
export type VersionChoice = { to: number; why: string; passedOver: Array<{ version: number; why: string }> };

export type VersionRequest = {
  model: string;
  alias: string;
  toVersion?: number | undefined;
  /** Tag values a version must carry to count as known good (`validation_status: passed`). */
  requireTags?: Record<string, string> | undefined;
};

const MAX_LISTED = 5;

function tagsText(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

/** Why a version is not known good: not READY, or a required tag missing or different; undefined if it is. */
function flaw(version: ModelVersion, requireTags: Record<string, string> | undefined): string | undefined {
  if (version.status !== 'READY') return version.status;
  for (const [key, want] of Object.entries(requireTags ?? {})) {
    const has = version.tags.get(key);
    if (has !== want) return has === undefined ? `no tag ${key}` : `${key}=${has}`;
  }
  return undefined;
}

function passedOverText(passedOver: VersionChoice['passedOver']): string {
  const shown = passedOver.slice(0, MAX_LISTED).map((p) => `${p.version} (${p.why})`);
  const more = passedOver.length - shown.length;
  return `passed over ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * An explicit `toVersion` (which must exist, be READY and carry the required tags), else the newest version
 * older than the alias's current one that is READY and carries them. A lower number is not proof of a good
 * model; `requireTags` is how a team says which versions passed its validation.
 */
export function chooseVersion(
  versions: readonly ModelVersion[],
  current: number | undefined,
  request: VersionRequest,
): VersionChoice {
  const { model, alias, requireTags } = request;
  const wanted = requireTags && Object.keys(requireTags).length > 0 ? requireTags : undefined;
  const withTags = wanted ? ` with tags ${tagsText(wanted)}` : '';
  if (request.toVersion !== undefined) {
    const to = request.toVersion;
    const found = versions.find((v) => v.version === to);
    if (found === undefined)
      throw refused(`MLflow model ${model} has no version ${to}`, { model, toVersion: to });
    if (found.status !== 'READY') {
      throw refused(`version ${to} of MLflow model ${model} is ${found.status}, not READY`, {
        model,
        toVersion: to,
      });
    }
    const problem = flaw(found, wanted);
    if (problem !== undefined) {
      throw refused(
        `version ${to} of MLflow model ${model} is not known good: ${problem} (requireTags ${tagsText(wanted!)})`,
        {
          model,
          toVersion: to,
        },
      );
    }
    return {
      to,
      why: `toVersion ${to} was asked for${withTags ? ` and carries tags ${tagsText(wanted!)}` : ''}`,
      passedOver: [],
    };
  }
  if (current === undefined) {
    throw refused(`MLflow model ${model} has no alias ${alias} to roll back; set with.toVersion`, {
      model,
      alias,
    });
  }
  const passedOver: VersionChoice['passedOver'] = [];
  const older = versions.filter((v) => v.version < current).sort((a, b) => b.version - a.version);
  for (const version of older) {
    const problem = flaw(version, wanted);
    if (problem === undefined) {
      const why = [`the newest READY version older than ${current}${withTags}`];
      if (passedOver.length > 0) why.push(passedOverText(passedOver));
      return { to: version.version, why: why.join('; '), passedOver };
    }
    passedOver.push({ version: version.version, why: problem });
  }
  const reason = `MLflow model ${model} has no READY version older than ${current}${withTags} (alias ${alias})`;
  throw refused(passedOver.length > 0 ? `${reason}; ${passedOverText(passedOver)}` : reason, {
    model,
    alias,
    fromVersion: current,
    passedOver,
  });
}

import { createHash } from "node:crypto";

/** Bitbucket refuses keys longer than 40 characters with a 400. */
export const MAX_KEY_LENGTH = 40;
const HASH_LENGTH = 10;

/**
 * The Bitbucket status key for a pipeline (or one of its jobs) of a linked GitLab project on a ref.
 * Stable across re-runs of the same commit (so a green re-run overwrites an old red), distinct per
 * GitLab project, ref and job name. Readable when it fits in 40 characters; otherwise a readable prefix
 * and a hash of the whole key, never a bare truncation (two long job names must not collide).
 */
export function statusKey(parts: { projectId: number; ref: string; job?: string }): string {
  const full = ["gitlab", String(parts.projectId), parts.ref, ...(parts.job === undefined ? [] : [parts.job])].join(":");
  if (full.length <= MAX_KEY_LENGTH) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, HASH_LENGTH);
  return `${prefixOf(full, MAX_KEY_LENGTH - HASH_LENGTH - 1)}~${hash}`;
}

/**
 * The key under which an installation re-posts a result whose status another installation created and can
 * no longer finish (the Connect edition, uninstalled after the Forge edition adopted the link): Bitbucket
 * lets only a status's creator overwrite it. Distinct from the original, stable, at most 40 characters.
 */
export function handedOverKey(key: string): string {
  const full = `${key}:handed-over`;
  if (full.length <= MAX_KEY_LENGTH) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, HASH_LENGTH);
  return `${prefixOf(key, MAX_KEY_LENGTH - HASH_LENGTH - 3)}~h~${hash}`;
}

// Cut on code points, so a multi-unit character is never split into an invalid half.
function prefixOf(s: string, maxUnits: number): string {
  let out = "";
  for (const ch of s) {
    if (out.length + ch.length > maxUnits) break;
    out += ch;
  }
  return out;
}

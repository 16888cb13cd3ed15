/** The longest string we keep from a GitLab answer: names, paths, URLs and messages are far shorter. */
export const MAX_GITLAB_STRING = 1_000;

/**
 * A JSON value with every string longer than `max` cut (marked with "…"). GitLab's words reach the
 * settings page, the database and Bitbucket; a hostile server answering a megabyte-long username must
 * not have it echoed back. Anything not plain JSON (a stream, a Blob) is left as it is.
 */
export function boundedStrings<T>(value: T, max = MAX_GITLAB_STRING): T {
  if (typeof value === "string") return (value.length > max ? value.slice(0, max - 1) + "…" : value) as T;
  if (Array.isArray(value)) return value.map((v) => boundedStrings(v, max)) as T;
  if (value && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = boundedStrings(v, max);
    return out as T;
  }
  return value;
}

/** The longest string we keep from a GitLab answer: names, paths, URLs and messages are far shorter. */
export const MAX_GITLAB_STRING = 1_000;

/**
 * A JSON value from GitLab with every string longer than `max` cut (marked with "…"). GitLab's words
 * reach the settings page, the database and Bitbucket; a hostile server answering a megabyte-long
 * username must not have it echoed back. Anything not plain JSON (a stream, a Blob) is left as it is.
 *
 * Arrays and plain objects are cut in place and returned: the value is one just parsed from an answer,
 * ours alone. Copying them made every status delivery allocate its GitLab answers twice (issue 16).
 */
export function boundedStrings<T>(value: T, max = MAX_GITLAB_STRING): T {
  if (typeof value === "string") return cut(value, max) as T;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = boundedStrings(value[i], max);
  } else if (value && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = boundedStrings(record[key], max);
  }
  return value;
}

const cut = (s: string, max: number) => (s.length > max ? s.slice(0, max - 1) + "…" : s);

// Text from GitLab (test names, messages, stack traces, paths) is untrusted: cut to lengths Bitbucket
// accepts everywhere (Data Center's documented caps; Cloud documents none) and stripped of control
// characters, so a report call is never refused for its text.

/** Control characters other than tab and newline, and lone surrogates. */
const CONTROL =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export const LIMITS = { title: 450, details: 2000, summary: 450 } as const;

/** `text` without control characters, at most `max` characters (an ellipsis marks a cut). */
export function safeText(text: unknown, max: number): string {
  const clean = String(text ?? "")
    .replace(CONTROL, "")
    .trim();
  if (clean.length <= max) return clean;
  // Never cut a surrogate pair in two.
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(clean.charAt(end - 1))) end--;
  return `${clean.slice(0, end)}…`;
}

/** The first `lines` lines of a failure message, within `max` characters. */
export function firstLines(text: unknown, lines: number, max: number): string {
  return safeText(
    String(text ?? "")
      .split(/\r?\n/)
      .slice(0, lines)
      .join("\n"),
    max,
  );
}

/**
 * A path relative to the repository root, or null when GitLab's is absolute, climbs out (`..`), or is
 * empty: Bitbucket places annotations by repository path.
 */
export function repositoryPath(path: unknown): string | null {
  if (typeof path !== "string") return null;
  const trimmed = path
    .trim()
    .replace(/\\/g, "/")
    .replace(/^(\.\/)+/, "");
  if (!trimmed || trimmed.startsWith("/") || /^[a-z]+:/i.test(trimmed)) return null;
  const parts = trimmed.split("/").filter((p) => p && p !== ".");
  if (parts.some((p) => p === "..")) return null;
  return safeText(parts.join("/"), 1000) || null;
}

/**
 * Whether two clone URLs name the same repository: scheme, credentials, a trailing `.git` or `/`, the
 * host's case and a default port make no difference. Bitbucket's workspace and repository slugs are
 * lower case, so the path's case makes none either. Pure: no I/O.
 */
export function sameRepositoryUrl(a: string, b: string): boolean {
  const x = repositoryKey(a);
  const y = repositoryKey(b);
  return x !== null && x === y;
}

/** The URL as the admin may see it: without credentials (a mirror's import URL can carry a token). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//");
  }
}

function repositoryKey(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  const path = decodeURIComponent(u.pathname)
    .replace(/\/+$/, "")
    .replace(/\.git$/i, "")
    .toLowerCase();
  // The scheme is ignored, so are ports 80 and 443 whichever scheme names them; any other port counts.
  return `${u.hostname.toLowerCase()}${u.port && !["80", "443"].includes(u.port) ? `:${u.port}` : ""}${path}`;
}

/**
 * Whether an installing tenant's baseUrl and baseApiUrl may be trusted. The app signs requests to
 * baseApiUrl with the tenant's secret, so a fake host there would receive our traffic. `globs` is ACE's
 * whitelist (`bitbucket.org` in production); the API host must match it too, or be `api.` + a match.
 * An empty list allows any host (development and tests, where the simulator is on loopback).
 */
export function allowedHosts(globs: string[]) {
  const patterns = globs.map((g) => new RegExp(`^${g.replace(/\./g, "\\.").replace(/\*/g, "[^.]*")}$`, "i"));
  const matches = (host: string) => patterns.length === 0 || patterns.some((p) => p.test(host));
  return {
    baseUrl: (url: URL) => matches(url.hostname),
    baseApiUrl: (url: URL) => matches(url.hostname) || (url.hostname.startsWith("api.") && matches(url.hostname.slice(4))),
  };
}

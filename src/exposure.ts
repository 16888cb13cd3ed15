import { isIP } from "node:net";

/** Whether a host name or address can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h.startsWith("::ffff:127.");
  return false;
}

/**
 * Why the app is reachable from outside this machine, or null when it is not: it binds a non-loopback
 * interface, or it was told a public HTTPS address (AC_LOCAL_BASE_URL) for Bitbucket to reach it at.
 * Either way development mode's leniency (any install host, loopback GitLab) must not apply.
 */
export function exposure(host: string | undefined, baseUrl: string | undefined): string | null {
  if (host !== undefined && !isLoopbackHost(host)) return `HOST=${host} is not a loopback address`;
  if (baseUrl) {
    const url = new URL(baseUrl);
    if (url.protocol === "https:" && !isLoopbackHost(url.hostname))
      return `AC_LOCAL_BASE_URL is the public address ${url.origin}`;
  }
  return null;
}

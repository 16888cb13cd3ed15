import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { AppError } from "../errors";

// Addresses a GitLab URL must not reach in production: loopback, link-local (cloud metadata lives at
// 169.254.169.254), private and other non-public ranges. An admin typing such a URL would make us probe
// the inside of our own network. BlockList checks IPv4-mapped IPv6 addresses against the IPv4 rules.
const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
] as const)
  blocked.addSubnet(net, prefix, "ipv6");

export const isPrivateAddress = (address: string) => blocked.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");

/**
 * Normalizes the GitLab URL an admin typed and refuses what we must not call: non-http(s), credentials
 * in the URL, and (in production) hosts that resolve to a private address unless GITLAB_ALLOWED_HOSTS
 * names them.
 */
export async function checkGitLabUrl(
  raw: string,
  opts: { allowPrivate: boolean; allowedHosts: string[]; requireHttps: boolean },
): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("Enter the GitLab address, e.g. https://gitlab.com");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !opts.requireHttps))
    throw invalid("The GitLab address must start with https://");
  if (url.username || url.password) throw invalid("Leave credentials out of the GitLab address; use the token field");
  const base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  if (opts.allowPrivate || opts.allowedHosts.includes(url.hostname.toLowerCase())) return base;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0) throw new AppError("gitlab_unreachable", 422, `Could not resolve ${url.hostname}`);
  if (addresses.some((a) => isPrivateAddress(a.address))) throw invalid("This GitLab address points into a private network");
  return base;
}

const invalid = (message: string) => new AppError("invalid_request", 400, message, { fields: { gitlabUrl: message } });

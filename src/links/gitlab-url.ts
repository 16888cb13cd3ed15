import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { AppError } from "../errors";
import { isAllowedHost, isPrivateAddress } from "../gitlab/private-address";

export { isPrivateAddress };

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
  if (opts.allowPrivate || isAllowedHost(url.hostname, opts.allowedHosts)) return base;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0) throw new AppError("gitlab_unreachable", 422, `Could not resolve ${url.hostname}`);
  if (addresses.some((a) => isPrivateAddress(a.address))) throw invalid("This GitLab address points into a private network");
  return base;
}

const invalid = (message: string) => new AppError("invalid_request", 400, message, { fields: { gitlabUrl: message } });

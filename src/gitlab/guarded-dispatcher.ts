import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector } from "undici";
import { isAllowedHost, isPrivateAddress } from "./private-address";

/**
 * An HTTP dispatcher for calls to GitLab that refuses, at connection time, to reach a private, loopback
 * or link-local address (unless the host is in GITLAB_ALLOWED_HOSTS). Checking the URL when it is saved
 * is not enough: DNS can change after the check. This checks the very address each connection is about
 * to use. A host GITLAB_ALLOWED_HOSTS names is connected to without the check, whether it is written as
 * an address or as a name that resolves into the private network (the usual reason to allow it).
 */
export function guardedDispatcher(allowedHosts: string[], timeoutMs: number): Agent {
  const open = buildConnector({ timeout: timeoutMs, lookup: publicOnlyLookup } as buildConnector.BuildOptions);
  const openAllowed = buildConnector({ timeout: timeoutMs });
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[|\]$/g, "");
      if (isAllowedHost(host, allowedHosts)) return openAllowed(options, callback);
      if (isIP(host) && isPrivateAddress(host)) return callback(refused(host), null);
      return open(options, callback);
    },
  });
}

const refused = (what: string) =>
  Object.assign(
    new Error(`Refusing to connect to ${what}: a private network address (name the host in GITLAB_ALLOWED_HOSTS to allow it)`),
    { code: "EPRIVATE" },
  );

const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, "", 0);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(refused(`${hostname} (${bad.address})`), "", 0);
    if ((options as { all?: boolean }).all)
      return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

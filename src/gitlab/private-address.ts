import { BlockList, isIP } from "node:net";

// Addresses GitLab calls must not reach in production: loopback, link-local (cloud metadata lives at
// 169.254.169.254), private and other non-public ranges. An admin typing such a URL would make us probe
// the inside of our own network.
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
  ["::", 128], // unspecified: connects to the local host
  ["::1", 128],
  ["100::", 64], // discard-only
  ["64:ff9b:1::", 48], // NAT64 for local networks (RFC 8215)
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated, still routed inside some networks)
  ["ff00::", 8], // multicast
] as const)
  blocked.addSubnet(net, prefix, "ipv6");

/**
 * Whether an IP address is one we refuse to call. An IPv6 address that carries an IPv4 address (mapped
 * `::ffff:127.0.0.1`, compatible `::127.0.0.1`, NAT64 `64:ff9b::7f00:1`, 6to4 `2002:7f00:1::`, Teredo)
 * reaches that IPv4 address through a translator or the host's own stack, so it is judged by it.
 * Anything that is not an IP address is refused.
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").split("%")[0]!;
  const version = isIP(bare);
  if (version === 4) return blocked.check(bare, "ipv4");
  if (version !== 6) return true;
  if (blocked.check(bare, "ipv6")) return true;
  return embeddedIPv4(ipv6Groups(bare)).some((v4) => blocked.check(v4, "ipv4"));
}

/** The IPv4 addresses an IPv6 address stands for, by the transition mechanisms that embed one. */
function embeddedIPv4(g: number[]): string[] {
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && (g[5] === 0 || g[5] === 0xffff)) return [v4(g[6]!, g[7]!)]; // compatible, mapped
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return [v4(g[6]!, g[7]!)]; // SIIT (::ffff:0:a.b.c.d)
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return [v4(g[6]!, g[7]!)]; // NAT64 (RFC 6052)
  if (g[0] === 0x2002) return [v4(g[1]!, g[2]!)]; // 6to4
  // Teredo: the server's address, and the client's stored inverted.
  if (g[0] === 0x2001 && g[1] === 0) return [v4(g[2]!, g[3]!), v4(~g[6]! & 0xffff, ~g[7]! & 0xffff)];
  return [];
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail folded in). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const middle = tail === undefined ? [] : Array<string>(8 - front.length - back.length).fill("0");
  return [...front, ...middle, ...back].map((x) => parseInt(x, 16));
}

/** Whether GITLAB_ALLOWED_HOSTS names this host (case and IPv6 brackets aside). */
export function isAllowedHost(hostname: string, allowedHosts: string[]): boolean {
  const bare = (h: string) =>
    h
      .trim()
      .replace(/^\[|\]$/g, "")
      .toLowerCase();
  const host = bare(hostname);
  return allowedHosts.some((allowed) => bare(allowed) === host);
}

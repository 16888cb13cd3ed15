import { PeerFailure } from "../errors";

/**
 * A workspace's allowed GitLab hosts (issue 15, item 12): where its repositories may send code and tokens.
 * An entry is a host name (`gitlab.example.com`), a host and port (`gitlab.example.com:8443`), or a
 * wildcard for sub-domains (`*.example.com`, which does not match `example.com` itself). Null: any host.
 */
export function hostAllowed(gitlabUrl: string, allowed: readonly string[] | null): boolean {
  if (allowed === null) return true;
  let url: URL;
  try {
    url = new URL(gitlabUrl);
  } catch {
    return false;
  }
  const hostname = url.hostname.toLowerCase();
  // The port the address really uses: URL drops a scheme's default port (443 for https, 80 for http), so
  // `gitlab.example.com:443` must be compared with https://gitlab.example.com's 443, not with no port.
  const port = url.port || DEFAULT_PORTS[url.protocol] || "";
  return allowed.some((entry) => {
    const [, name, entryPort] = /^(.*?)(?::(\d{1,5}))?$/.exec(entry.trim().toLowerCase())!;
    if (entryPort !== undefined && String(Number(entryPort)) !== port) return false;
    return name!.startsWith("*.") ? hostname.endsWith(name!.slice(1)) : name === hostname;
  });
}

const DEFAULT_PORTS: Record<string, string> = { "https:": "443", "http:": "80" };

/** A host entry as the workspace page and API accept it: a bare host, optional port, optional leading `*.`. */
export const HOST_ENTRY =
  /^(\*\.)?(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/**
 * Refused because the workspace does not allow the GitLab host. A permanent peer failure: the worker gives
 * the delivery up at once (retrying cannot help until an admin changes the list or the link).
 */
export class GitLabHostRefused extends PeerFailure {
  constructor(
    readonly host: string,
    allowed: readonly string[],
  ) {
    super({
      peer: "gitlab",
      transient: false,
      message: `This workspace allows GitLab only at ${allowed.join(", ") || "no host"}; ${host} is not one of them (workspace settings › GitLab CI)`,
    });
    this.name = "GitLabHostRefused";
  }
}

/** The refusal behind an error, however deep it was wrapped. */
export function hostRefused(e: unknown): GitLabHostRefused | undefined {
  for (let cause = e, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    if (cause instanceof GitLabHostRefused) return cause;
  }
  return undefined;
}

const TTL_MS = 10_000;

/**
 * Checks a workspace's GitLab host before every GitLab call and git command made for it. The list is read
 * from the database at most every 10 seconds per workspace and instance (a change on this instance applies
 * at once; on another, within 10 s), since the check runs before every call on the per-event path.
 */
export class GitLabHostPolicy {
  private readonly cache = new Map<string, { allowed: string[] | null; until: number }>();

  constructor(private readonly read: (clientKey: string) => Promise<string[] | null>) {}

  async allowed(clientKey: string): Promise<string[] | null> {
    const hit = this.cache.get(clientKey);
    if (hit && hit.until > Date.now()) return hit.allowed;
    const allowed = await this.read(clientKey);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(clientKey, { allowed, until: Date.now() + TTL_MS });
    return allowed;
  }

  /** Throws GitLabHostRefused when the workspace does not allow this GitLab address. */
  async check(clientKey: string, gitlabUrl: string): Promise<void> {
    const allowed = await this.allowed(clientKey);
    if (!hostAllowed(gitlabUrl, allowed)) throw new GitLabHostRefused(hostOf(gitlabUrl), allowed ?? []);
  }

  forget(clientKey: string): void {
    this.cache.delete(clientKey);
  }
}

function hostOf(gitlabUrl: string): string {
  try {
    return new URL(gitlabUrl).host;
  } catch {
    return gitlabUrl;
  }
}

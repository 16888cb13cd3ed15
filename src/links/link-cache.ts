import type { Link, Links } from "../db/links";

const TTL_MS = 10_000;
const NOTE_EVERY_MS = 60_000;

/**
 * Links by id for GitLab hook intake, which runs for every pipeline and job event: a database read and
 * two decryptions per hook were most of its cost. Entries live 10 seconds; a secret that does not match
 * a cached link is checked once more against the database before the hook is refused, so a re-link on
 * another instance is honoured at once.
 */
export class LinkCache {
  private readonly entries = new Map<string, { link: Link | null; until: number }>();
  private readonly noted = new Map<string, number>();

  constructor(readonly links: Links) {}

  async get(id: string, fresh = false): Promise<Link | null> {
    const hit = this.entries.get(id);
    if (!fresh && hit && hit.until > Date.now()) return hit.link;
    const link = await this.links.byId(id);
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(id, { link, until: Date.now() + TTL_MS });
    return link;
  }

  /** Keeps a link's repository name (a Forge link's, read from Bitbucket once): the entry is read afresh next. */
  async setRepoFullName(id: string, repoFullName: string): Promise<void> {
    await this.links.setRepoFullName(id, repoFullName);
    this.forget(id);
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Records that GitLab reached us for this link, at most once a minute per link and instance. */
  async noteWebhook(id: string, now = Date.now()): Promise<void> {
    if ((this.noted.get(id) ?? 0) > now - NOTE_EVERY_MS) return;
    this.noted.set(id, now);
    await this.links.noteWebhook(id, now);
  }
}

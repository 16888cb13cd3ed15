import type { Link, Links } from "../db/links";

const TTL_MS = 10_000;
/** An entry read this close to its end is read again in the background, while callers keep using it. */
const REFRESH_AHEAD_MS = 3_000;
const NOTE_EVERY_MS = 60_000;

/**
 * Links by id for GitLab hook intake, which runs for every pipeline and job event: a database read and
 * two decryptions per hook were most of its cost. Entries live 10 seconds; a secret that does not match
 * a cached link is checked once more against the database before the hook is refused, so a re-link on
 * another instance is honoured at once.
 *
 * A link in use is read again in its entry's last 3 seconds, in the background, so hooks do not wait for
 * the read (issue 16: at 200 hooks/s on 50 links, entries made together ran out together, and up to 15
 * reads ran at once, up to 80 ms each; a small part of the hooks' tail, whose most was a fresh app's
 * first seconds). No entry is used past its 10 seconds; expiries are spread over the last fifth of them,
 * and one read per link runs at a time.
 */
export class LinkCache {
  private readonly entries = new Map<string, { link: Link | null; until: number }>();
  /** The read under way per link; `forget` drops it, so a read begun before a change is not kept. */
  private readonly reading = new Map<string, Promise<Link | null>>();
  private readonly noted = new Map<string, number>();

  constructor(
    readonly links: Links,
    private readonly now: () => number = Date.now,
  ) {}

  /** The link, from the cache while its entry lasts; `fresh` reads the database whatever the cache holds. */
  async get(id: string, fresh = false): Promise<Link | null> {
    const hit = this.entries.get(id);
    const now = this.now();
    if (!fresh && hit && hit.until > now) {
      if (hit.until - now < REFRESH_AHEAD_MS && !this.reading.has(id)) this.read(id).catch(() => undefined);
      return hit.link;
    }
    return (!fresh && this.reading.get(id)) || this.read(id);
  }

  private read(id: string): Promise<Link | null> {
    const read: Promise<Link | null> = this.links.byId(id).then(
      (link) => {
        // Kept only while it is still this link's latest read: not after `forget`, nor over a fresher one.
        if (this.reading.get(id) === read) {
          this.reading.delete(id);
          if (this.entries.size > 10_000) this.entries.clear();
          this.entries.set(id, { link, until: this.now() + TTL_MS * (0.8 + 0.2 * Math.random()) });
        }
        return link;
      },
      (err: unknown) => {
        if (this.reading.get(id) === read) this.reading.delete(id);
        throw err;
      },
    );
    this.reading.set(id, read);
    return read;
  }

  /** Keeps a link's repository name (a Forge link's, read from Bitbucket once): the entry is read afresh next. */
  async setRepoFullName(id: string, repoFullName: string): Promise<void> {
    await this.links.setRepoFullName(id, repoFullName);
    this.forget(id);
  }

  forget(id: string): void {
    this.entries.delete(id);
    this.reading.delete(id);
  }

  clear(): void {
    this.entries.clear();
    this.reading.clear();
  }

  /** Records that GitLab reached us for this link, at most once a minute per link and instance. */
  async noteWebhook(id: string, now = Date.now()): Promise<void> {
    if ((this.noted.get(id) ?? 0) > now - NOTE_EVERY_MS) return;
    this.noted.set(id, now);
    await this.links.noteWebhook(id, now);
  }
}

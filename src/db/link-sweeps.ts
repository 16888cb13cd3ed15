import { createHash } from "node:crypto";
import type { Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";

/** Where a link's catch-up sweep stands. */
export interface LinkSweep {
  linkId: string;
  /** GitLab's `updated_at` of the newest pipeline the sweep has handled, or null before the first sweep. */
  highWater: string | null;
}

/** The catch-up sweep's schedule and high-water marks, one row per link (src/sync/catch-up.ts). */
export class LinkSweeps {
  private readonly sql: DirectSql;

  constructor(sequelize: Sequelize) {
    this.sql = DirectSql.for(sequelize);
  }

  /**
   * Gives every link without a row one, due at a point of the interval fixed by its id, so 10,000 links
   * are swept a few at a time rather than all at once.
   */
  async schedule(now: number, everyMs: number): Promise<void> {
    const fresh = await this.sql.query<{ id: string }>(
      "SELECT id FROM links WHERE NOT EXISTS (SELECT 1 FROM link_sweeps s WHERE s.link_id = links.id) LIMIT 1000",
    );
    for (const { id } of fresh) {
      const offset = createHash("sha256").update(id).digest().readUInt32BE(0) % Math.max(1, everyMs);
      await this.sql.query("INSERT INTO link_sweeps (link_id, next_at) VALUES (?, ?) ON CONFLICT (link_id) DO NOTHING", [
        id,
        now + offset,
      ]);
    }
  }

  /**
   * Takes up to `limit` links whose sweep is due and moves each one's next turn an interval on. The
   * re-checked `next_at <= ?` makes the move a claim: of several instances, one takes each link. Links of
   * a Forge installation judged uninstalled, or suspected of it, are left out (they wait, due, in case it comes back).
   */
  async claimDue(now: number, everyMs: number, limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ link_id: string }>(
      `UPDATE link_sweeps SET next_at = ?
       WHERE link_id IN (SELECT s.link_id FROM link_sweeps s JOIN links l ON l.id = s.link_id
         WHERE s.next_at <= ? AND NOT EXISTS (SELECT 1 FROM forge_installations f WHERE f.client_key = l.client_key AND (f.gone_at IS NOT NULL OR f.suspected_at IS NOT NULL))
         ORDER BY s.next_at LIMIT ?) AND next_at <= ?
       RETURNING link_id`,
      [now + everyMs, now, limit, now],
    );
    return rows.map((r) => String(r.link_id));
  }

  /** The installation a link belongs to (outbox rows carry it). */
  async clientKeyOf(linkId: string): Promise<string | null> {
    const [row] = await this.sql.query<{ client_key: string }>("SELECT client_key FROM links WHERE id = ?", [linkId]);
    return row ? String(row.client_key) : null;
  }

  async get(linkId: string): Promise<LinkSweep | null> {
    const [row] = await this.sql.query<{ link_id: string; high_water: string | null }>(
      "SELECT link_id, high_water FROM link_sweeps WHERE link_id = ?",
      [linkId],
    );
    return row ? { linkId: String(row.link_id), highWater: row.high_water ?? null } : null;
  }

  async advance(linkId: string, highWater: string | null, now: number): Promise<void> {
    await this.sql.query("UPDATE link_sweeps SET high_water = COALESCE(?, high_water), swept_at = ? WHERE link_id = ?", [
      highWater,
      now,
      linkId,
    ]);
  }
}

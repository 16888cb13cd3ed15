import type { Sequelize } from "sequelize";
import { OwnerGone } from "../errors";
import { DirectSql } from "./direct-sql";
import { GroupCommit, jsonRows } from "./group-commit";

export interface LinkEvent {
  at: number;
  kind: string;
  outcome: "done" | "retry" | "failed" | "deferred";
  summary: string;
  durationMs: number;
}

const KEEP = 50;

/** What happened on each link, newest first, kept to the last 50 per link for the settings page. */
export class LinkEvents {
  private writes = 0;

  private readonly sql: DirectSql;
  /** One event per delivery: those ending together go in one statement (see group-commit.ts). */
  private readonly inserts: GroupCommit<unknown[]>;

  constructor(sequelize: Sequelize) {
    const sql = (this.sql = DirectSql.for(sequelize));
    const insert = `INSERT INTO link_events (link_id, client_key, at, kind, outcome, summary, duration_ms)
       ${jsonRows(sql.dialect, ["text", "text", "bigint", "text", "text", "text", "integer"])}`;
    this.inserts = new GroupCommit(async (rows) => void (await sql.query(insert, [JSON.stringify(rows)])));
  }

  /** Adds an event; one for a link that is gone (unlinked or uninstalled while delivering) is dropped. */
  async record(linkId: string, clientKey: string, e: LinkEvent): Promise<void> {
    try {
      await this.inserts.add([linkId, clientKey, e.at, e.kind, e.outcome, e.summary.slice(0, 512), Math.round(e.durationMs)]);
    } catch (err) {
      if (err instanceof OwnerGone) return;
      throw err;
    }
    // Trimming on every write would double the writes; every twentieth per instance keeps it bounded.
    if (++this.writes % 20 === 0) await this.trim(linkId);
  }

  async forLink(linkId: string, limit = KEEP): Promise<LinkEvent[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      "SELECT at, kind, outcome, summary, duration_ms FROM link_events WHERE link_id = ? ORDER BY id DESC LIMIT ?",
      [linkId, limit],
    );
    return rows.map((r) => ({
      at: Number(r.at),
      kind: String(r.kind),
      outcome: String(r.outcome) as LinkEvent["outcome"],
      summary: String(r.summary),
      durationMs: Number(r.duration_ms),
    }));
  }

  async trim(linkId: string): Promise<void> {
    await this.sql.query(
      `DELETE FROM link_events WHERE link_id = ? AND id < (
         SELECT id FROM link_events WHERE link_id = ? ORDER BY id DESC LIMIT 1 OFFSET ${KEEP - 1})`,
      [linkId, linkId],
    );
  }

  async removeLink(linkId: string): Promise<void> {
    await this.sql.query("DELETE FROM link_events WHERE link_id = ?", [linkId]);
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.sql.query("DELETE FROM link_events WHERE client_key = ?", [clientKey]);
  }
}

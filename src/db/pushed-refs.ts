import type { Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";

export interface PushedRef {
  sha: string;
  /** The sha the app last created a pipeline for on this ref, if any. */
  pipelineSha: string | null;
}

/** The GitLab refs the app pushed, per link: the only ones a sync may delete. */
export class PushedRefs {
  private readonly sql: DirectSql;

  constructor(sequelize: Sequelize) {
    this.sql = DirectSql.for(sequelize);
  }

  async forLink(linkId: string): Promise<Map<string, PushedRef>> {
    const rows = await this.sql.query<{ ref: string; sha: string; pipeline_sha: string | null }>(
      "SELECT ref, sha, pipeline_sha FROM pushed_refs WHERE link_id = ?",
      [linkId],
    );
    return new Map(rows.map((r) => [r.ref, { sha: r.sha, pipelineSha: r.pipeline_sha }]));
  }

  async pushed(linkId: string, ref: string, sha: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO pushed_refs (link_id, ref, sha, pipeline_sha) VALUES (?, ?, ?, NULL)
       ON CONFLICT (link_id, ref) DO UPDATE SET sha = excluded.sha`,
      [linkId, ref, sha],
    );
  }

  async pipelineCreated(linkId: string, ref: string, sha: string): Promise<void> {
    await this.sql.query("UPDATE pushed_refs SET pipeline_sha = ? WHERE link_id = ? AND ref = ?", [sha, linkId, ref]);
  }

  async deleted(linkId: string, ref: string): Promise<void> {
    await this.sql.query("DELETE FROM pushed_refs WHERE link_id = ? AND ref = ?", [linkId, ref]);
  }
}

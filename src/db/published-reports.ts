import type { Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";

export interface PublishedReport {
  linkId: string;
  sha: string;
  reportId: string;
  pipelineId: number;
  result: string;
  annotations: number;
  ref: string | null;
  publishedAt: number;
}

/** The Code Insights reports the app published, per link, commit and report id. */
export class PublishedReports {
  private readonly sql: DirectSql;

  constructor(sequelize: Sequelize) {
    this.sql = DirectSql.for(sequelize);
  }

  async forCommit(linkId: string, sha: string): Promise<Map<string, PublishedReport>> {
    const rows = await this.sql.query<Record<string, unknown>>("SELECT * FROM published_reports WHERE link_id = ? AND sha = ?", [
      linkId,
      sha,
    ]);
    return new Map(rows.map((r) => [String(r.report_id), toReport(r)]));
  }

  /** The reports of the newest commit of `ref` that has any (the settings page shows the default branch's). */
  async latestOnRef(linkId: string, ref: string): Promise<PublishedReport[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT * FROM published_reports WHERE link_id = ? AND ref = ? AND sha = (
         SELECT sha FROM published_reports WHERE link_id = ? AND ref = ? ORDER BY published_at DESC LIMIT 1)
       ORDER BY report_id`,
      [linkId, ref, linkId, ref],
    );
    return rows.map(toReport);
  }

  async record(r: PublishedReport): Promise<void> {
    await this.sql.query(
      `INSERT INTO published_reports (link_id, sha, report_id, pipeline_id, result, annotations, ref, published_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (link_id, sha, report_id) DO UPDATE SET pipeline_id = excluded.pipeline_id, result = excluded.result,
         annotations = excluded.annotations, ref = excluded.ref, published_at = excluded.published_at`,
      [r.linkId, r.sha, r.reportId, r.pipelineId, r.result, r.annotations, r.ref, r.publishedAt],
    );
  }
}

const toReport = (r: Record<string, unknown>): PublishedReport => ({
  linkId: String(r.link_id),
  sha: String(r.sha),
  reportId: String(r.report_id),
  pipelineId: Number(r.pipeline_id),
  result: String(r.result),
  annotations: Number(r.annotations),
  ref: r.ref == null ? null : String(r.ref),
  publishedAt: Number(r.published_at),
});

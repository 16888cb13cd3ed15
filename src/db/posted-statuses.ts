import type { Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";
import { GroupCommit, jsonRows } from "./group-commit";

export interface PostedStatus {
  linkId: string;
  sha: string;
  statusKey: string;
  pipelineId: number;
  state: string;
  fingerprint: string;
  ref: string | null;
  postedAt: number;
  /**
   * The installation that created the status on Bitbucket, when it is not the link's owner of the moment
   * (a link adopted from the Connect edition). Bitbucket lets only a status's creator overwrite it.
   */
  poster?: string | null;
}

/** What we last posted to Bitbucket per commit and status key: an unchanged status is not sent again. */
export class PostedStatuses {
  private readonly sql: DirectSql;
  /** One or a few per delivery: those recorded together go in one statement (see group-commit.ts). */
  private readonly upserts: GroupCommit<PostedStatus>;
  /**
   * One read per delivery. On SQLite, commits asked for together are read in one statement, as writes are
   * grouped: a delivery records what it posted before its outbox row completes, and the next delivery of
   * the same commit is claimed only after that, so a grouped read never misses a write it should see.
   * PostgreSQL reads each on its own, side by side on its pool, as it writes the outbox's inserts
   * (outbox.ts): grouped (one read at a time), two alternated bench pairs had p99 99–131 ms against
   * 75–83, but runs of the same code spread as wide there (75–144 ms), so no gain is shown either way.
   */
  private readonly reads: GroupCommit<[linkId: string, sha: string], Map<string, PostedStatus>>;

  constructor(sequelize: Sequelize) {
    const sql = (this.sql = DirectSql.for(sequelize));
    const upsert = `INSERT INTO posted_statuses (link_id, sha, status_key, pipeline_id, state, fingerprint, ref, posted_at, poster)
       ${jsonRows(sql.dialect, ["text", "text", "text", "bigint", "text", "text", "text", "bigint", "text"])}
       ON CONFLICT (link_id, sha, status_key) DO UPDATE SET pipeline_id = excluded.pipeline_id, state = excluded.state,
         fingerprint = excluded.fingerprint, ref = excluded.ref, posted_at = excluded.posted_at, poster = excluded.poster`;
    this.upserts = new GroupCommit(async (statuses) => {
      // One row per status: an upsert may not touch the same row twice, and the last recorded is the newest.
      const rows = new Map(statuses.map((p) => [`${p.linkId} ${p.sha} ${p.statusKey}`, p]));
      const values = [...rows.values()].map((p) => [
        p.linkId,
        p.sha,
        p.statusKey,
        p.pipelineId,
        p.state,
        p.fingerprint,
        p.ref,
        p.postedAt,
        p.poster ?? null,
      ]);
      await sql.query(upsert, [JSON.stringify(values)]);
    });
    // `asked` is the index of the (link, sha) pair in the parameter: each caller gets its own commit's rows.
    const read = `SELECT p.*, j.key AS asked FROM json_each(?) j JOIN posted_statuses p
      ON p.link_id = json_extract(j.value, '$[0]') AND p.sha = json_extract(j.value, '$[1]')`;
    this.reads = new GroupCommit(async (commits) => {
      const found = commits.map(() => new Map<string, PostedStatus>());
      for (const r of await sql.query<Record<string, unknown>>(read, [JSON.stringify(commits)])) {
        found[Number(r.asked)]!.set(String(r.status_key), toPosted(r));
      }
      return found;
    });
  }

  /** What was last posted on this commit, by status key. */
  async forCommit(linkId: string, sha: string): Promise<Map<string, PostedStatus>> {
    if (this.sql.dialect === "sqlite") return this.reads.add([linkId, sha]);
    const rows = await this.sql.query<Record<string, unknown>>("SELECT * FROM posted_statuses WHERE link_id = ? AND sha = ?", [
      linkId,
      sha,
    ]);
    return new Map(rows.map((r) => [String(r.status_key), toPosted(r)]));
  }

  /** Records what was posted (settles once written). */
  async record(p: PostedStatus): Promise<void> {
    await this.upserts.add(p);
  }

  /**
   * Statuses we left INPROGRESS before `olderThan` and have not re-checked since: candidates for a
   * check against GitLab, in case the hook that would have finished them was lost.
   */
  async staleInProgress(olderThan: number, limit: number): Promise<(PostedStatus & { clientKey: string })[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT p.*, l.client_key FROM posted_statuses p JOIN links l ON l.id = p.link_id
       WHERE p.state = 'INPROGRESS' AND p.posted_at < ? AND COALESCE(p.checked_at, 0) < ?
       ORDER BY p.posted_at LIMIT ?`,
      [olderThan, olderThan, limit],
    );
    return rows.map((r) => ({ ...toPosted(r), clientKey: String(r.client_key) }));
  }

  async markChecked(p: Pick<PostedStatus, "linkId" | "sha" | "statusKey">, at: number): Promise<void> {
    await this.sql.query("UPDATE posted_statuses SET checked_at = ? WHERE link_id = ? AND sha = ? AND status_key = ?", [
      at,
      p.linkId,
      p.sha,
      p.statusKey,
    ]);
  }

  async removeLink(linkId: string): Promise<void> {
    await this.sql.query("DELETE FROM posted_statuses WHERE link_id = ?", [linkId]);
  }
}

const toPosted = (r: Record<string, unknown>): PostedStatus => ({
  linkId: String(r.link_id),
  sha: String(r.sha),
  statusKey: String(r.status_key),
  pipelineId: Number(r.pipeline_id),
  state: String(r.state),
  fingerprint: String(r.fingerprint),
  ref: r.ref == null ? null : String(r.ref),
  postedAt: Number(r.posted_at),
  poster: r.poster == null ? null : String(r.poster),
});

import type { Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";

export type PullRequestState = "OPEN" | "MERGED" | "DECLINED";

/** What a pull-request event says, as intake stores it. */
export interface PullRequestFacts {
  prId: number;
  state: PullRequestState;
  sourceBranch: string;
  /** As Bitbucket gives it: often 12 characters; resolved in the repository cache. Absent when unknown. */
  sourceCommit: string | null;
  /** The source repository when it is not the linked one (a fork), else null. */
  sourceRepoUuid: string | null;
  sourceRepoFullName: string | null;
  destinationBranch: string;
  destinationCommit: string | null;
  /** When Bitbucket says the pull request last changed (epoch ms): an older event never replaces a newer. */
  eventAt: number;
}

/** What the app did for a pull request. */
export interface PullRequestWork {
  /** The facts it was done for (see `handledKey`). */
  handled: string | null;
  sourceSha: string | null;
  destinationSha: string | null;
  mergeSha: string | null;
  pipelineId: number | null;
  /** "pipeline", "conflict", "fork-refused", "forks-off", "closed". */
  outcome: string | null;
  /** Said on the settings page: e.g. that GitLab refused the pipeline variables. */
  note: string | null;
}

export type PullRequest = PullRequestFacts & PullRequestWork & { linkId: string; updatedAt: number };

/** The facts a piece of work answers: when they change, the work is due again. */
export const handledKey = (pr: PullRequestFacts) =>
  [
    pr.state,
    pr.sourceBranch,
    pr.sourceCommit ?? "",
    pr.destinationBranch,
    pr.destinationCommit ?? "",
    pr.sourceRepoUuid ?? "",
  ].join("\n");

type Row = Record<string, unknown>;

/** The pull requests of push-sync links: Bitbucket's facts and the app's merge-result pipeline for each. */
export class PullRequests {
  private readonly sql: DirectSql;

  constructor(sequelize: Sequelize) {
    this.sql = DirectSql.for(sequelize);
  }

  /**
   * Stores what an event says, unless a newer event was stored already. Returns whether it was stored.
   * Work done stays: the deliverer compares it with the facts (`handled`).
   */
  async noteEvent(linkId: string, f: PullRequestFacts): Promise<boolean> {
    const now = Date.now();
    const rows = await this.sql.query(
      `INSERT INTO pull_requests (link_id, pr_id, state, source_branch, source_commit, source_repo_uuid, source_repo_full_name,
         destination_branch, destination_commit, event_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (link_id, pr_id) DO UPDATE SET state = excluded.state, source_branch = excluded.source_branch,
         source_commit = excluded.source_commit, source_repo_uuid = excluded.source_repo_uuid,
         source_repo_full_name = excluded.source_repo_full_name, destination_branch = excluded.destination_branch,
         destination_commit = excluded.destination_commit, event_at = excluded.event_at, updated_at = excluded.updated_at
       WHERE pull_requests.event_at <= excluded.event_at
       RETURNING pr_id`,
      [
        linkId,
        f.prId,
        f.state,
        f.sourceBranch,
        f.sourceCommit,
        f.sourceRepoUuid,
        f.sourceRepoFullName,
        f.destinationBranch,
        f.destinationCommit,
        f.eventAt,
        now,
      ],
    );
    return rows.length > 0;
  }

  async get(linkId: string, prId: number): Promise<PullRequest | null> {
    const [row] = await this.sql.query<Row>("SELECT * FROM pull_requests WHERE link_id = ? AND pr_id = ?", [linkId, prId]);
    return row ? toPullRequest(row) : null;
  }

  /** Pull requests whose facts changed since the app last acted on them. */
  async due(linkId: string): Promise<PullRequest[]> {
    const rows = await this.sql.query<Row>("SELECT * FROM pull_requests WHERE link_id = ? ORDER BY pr_id", [linkId]);
    return rows.map(toPullRequest).filter((pr) => pr.handled !== handledKey(pr));
  }

  async forLink(linkId: string): Promise<PullRequest[]> {
    const rows = await this.sql.query<Row>("SELECT * FROM pull_requests WHERE link_id = ? ORDER BY pr_id DESC", [linkId]);
    return rows.map(toPullRequest);
  }

  /**
   * Forgets merged and declined pull requests: those the app cleaned up after (`closed`) last changed
   * before `cleanedBefore`, any other closed one (its clean-up kept failing) before `anyBefore`.
   * Returns how many went.
   */
  async pruneClosed(cleanedBefore: number, anyBefore: number): Promise<number> {
    const gone = await this.sql.query(
      `DELETE FROM pull_requests WHERE state IN ('MERGED', 'DECLINED')
         AND ((outcome = 'closed' AND updated_at < ?) OR updated_at < ?) RETURNING pr_id`,
      [cleanedBefore, anyBefore],
    );
    return gone.length;
  }

  /** Records what was done for the facts `handled` named (another event may have changed them since). */
  async recordWork(linkId: string, prId: number, work: PullRequestWork): Promise<void> {
    await this.sql.query(
      `UPDATE pull_requests SET handled = ?, source_sha = ?, destination_sha = ?, merge_sha = ?, pipeline_id = ?, outcome = ?,
         note = ?, updated_at = ? WHERE link_id = ? AND pr_id = ?`,
      [
        work.handled,
        work.sourceSha,
        work.destinationSha,
        work.mergeSha,
        work.pipelineId,
        work.outcome,
        work.note,
        Date.now(),
        linkId,
        prId,
      ],
    );
  }
}

function toPullRequest(r: Row): PullRequest {
  const str = (v: unknown) => (v == null ? null : String(v));
  return {
    linkId: String(r.link_id),
    prId: Number(r.pr_id),
    state: String(r.state) as PullRequestState,
    sourceBranch: String(r.source_branch),
    sourceCommit: str(r.source_commit),
    sourceRepoUuid: str(r.source_repo_uuid),
    sourceRepoFullName: str(r.source_repo_full_name),
    destinationBranch: String(r.destination_branch),
    destinationCommit: str(r.destination_commit),
    eventAt: Number(r.event_at),
    handled: str(r.handled),
    sourceSha: str(r.source_sha),
    destinationSha: str(r.destination_sha),
    mergeSha: str(r.merge_sha),
    pipelineId: r.pipeline_id == null ? null : Number(r.pipeline_id),
    outcome: str(r.outcome),
    note: str(r.note),
    updatedAt: Number(r.updated_at),
  };
}

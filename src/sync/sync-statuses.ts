import { createHash } from "node:crypto";
import type { GitLabFor } from "../gitlab/gitlab-clients";
import { jobStatus, pipelineStatus, type BuildStatus, type JobFacts, type PipelineFacts } from "../core/build-status";
import { gitlabPage, gitlabWebUrl } from "../core/gitlab-web-url";
import { handedOverKey } from "../core/status-key";
import type { Link, Links } from "../db/links";
import type { PostedStatus, PostedStatuses } from "../db/posted-statuses";
import type { PullRequests } from "../db/pull-requests";
import { pullRequestOfRef } from "../core/pull-request-ref";
import { pullRequestJobStatus, pullRequestPipelineStatus, type PullRequestTarget } from "../core/pull-request-status";
import { PeerFailure } from "../errors";
import { gitlabFailure, type GitLabApi, type GitLabJob, type GitLabPipeline } from "../gitlab/gitlab-api";
import type { FindInstallation, Installation } from "../installations/installation";
import type { LinkCache } from "../links/link-cache";
import type { Outbox } from "../outbox/outbox";
import type { TenantBudget } from "../outbox/tenant-budget";
import type { Deliverer } from "../outbox/worker";
import { hasReports, queueReports, reportJobsOf } from "./publish-reports";
import type { Delivery, Wakeup } from "./work";

export const STATUS_SYNC = "status-sync";

const FINISHED = new Set(["success", "failed", "canceled"]);

export interface StatusSyncPayload {
  linkId: string;
  sha: string;
  ref: string;
  pipelineId: number;
  /** Set when reconciliation (a status left INPROGRESS), not a hook, asked for this sync. */
  reconcile?: boolean;
  /** Set when the catch-up sweep found a pipeline Bitbucket does not show as it is. */
  sweep?: boolean;
}

/**
 * One waiting status sync per commit and ref: the deliverer re-reads GitLab, so however many events
 * arrived while it waited, one read and one post carry the newest state.
 */
export async function queueStatusSync(
  c: { outbox: Outbox; wake: Wakeup },
  link: Pick<Link, "id" | "clientKey">,
  target: { sha: string; ref: string; pipelineId: number; reconcile?: boolean; sweep?: boolean },
  delivery?: Delivery,
): Promise<boolean> {
  const { sha, ref, pipelineId, reconcile, sweep } = target;
  const written = await c.outbox.enqueue<StatusSyncPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: STATUS_SYNC,
    dedupeKey: `status:${link.id}:${sha}:${ref}`,
    payload: { linkId: link.id, sha, ref, pipelineId, ...(reconcile ? { reconcile } : {}), ...(sweep ? { sweep } : {}) },
    delivery,
  });
  if (written) c.wake.kick();
  return written;
}

export interface SyncStatusesCollaborators {
  linkCache: LinkCache;
  links: Pick<Links, "noteMissedWebhook">;
  posted: PostedStatuses;
  budget: TenantBudget;
  findInstallation: FindInstallation;
  gitlab: GitLabFor;
  /** Where a finished pipeline's Code Insights reports are queued (links with reports on). */
  reports?: { outbox: Outbox; wake: Wakeup };
  /** Told each GitLab answer's status (0 when none came), for metrics. */
  onGitLabStatus?: (status: number) => void;
  /** Where a merge-result pipeline (on `bitbucket/pr-<id>`) finds its pull request's source commit. */
  pullRequests?: Pick<PullRequests, "get">;
}

/**
 * Brings Bitbucket's statuses for one commit and ref up to date with GitLab. The webhook that queued
 * this is only a trigger: we read the newest pipeline for the commit and ref from GitLab now, so events
 * that arrived late, twice or out of order cannot make a status go back, and one delivery per key at a
 * time (the outbox's rule) means posts for a key never overtake each other.
 */
export const syncStatuses =
  (c: SyncStatusesCollaborators): Deliverer =>
  async (item, log) => {
    const p = item.payload as unknown as StatusSyncPayload;
    const onGitLab = c.onGitLabStatus ?? (() => undefined);
    // The link comes from the cache intake keeps (10 s): reading and opening it per delivery was a
    // statement and two decryptions each time. If GitLab refuses its token, the link is read afresh once,
    // since the token may have just been replaced (possibly through another instance).
    const cached = await c.linkCache.get(p.linkId);
    if (!cached) return;
    let link: Link = cached;
    const installation = await c.findInstallation(link.clientKey);
    if (!installation) return;
    // A merge-result pipeline's commit is the app's own merge: its result goes on the pull request's
    // source head, under the pull request's key, and only while it is the pull request's latest merge.
    // The sync may name either commit: hooks and sweeps the merge, reconciliation the source head.
    const prId = pullRequestOfRef(p.ref);
    const pr = prId !== null && c.pullRequests ? await c.pullRequests.get(link.id, prId) : null;
    if (prId !== null && (!pr?.mergeSha || !pr.sourceSha || (p.sha !== pr.mergeSha && p.sha !== pr.sourceSha)))
      return `pipeline #${p.pipelineId} on ${p.ref}: not the pull request's current merge result, nothing to post`;
    const target = pr ? { sha: pr.sourceSha!, ref: p.ref } : { sha: p.sha, ref: p.ref };
    const asked = pr ? { ...p, sha: pr.mergeSha! } : p;
    // Within the token's GitLab budget, or deferred (the slot is freed): the newest pipeline is a list
    // and a read; the jobs, when needed, a third.
    c.gitlab(link.gitlabUrl, link.token, link.clientKey).admit(link.statusMode !== "pipeline" ? 3 : 2);
    const read = (l: Link) =>
      readGitLab(c.gitlab(l.gitlabUrl, l.token, l.clientKey), l, asked).catch((e: unknown) => {
        onGitLab(e instanceof PeerFailure ? (e.status ?? 0) : 0);
        throw e;
      });
    const { pipeline, jobs } = await read(link).catch(async (e: unknown) => {
      const refused = e instanceof PeerFailure && (e.status === 401 || e.status === 403);
      const fresh = refused ? await c.linkCache.get(p.linkId, true) : null;
      if (!fresh || fresh.token === cached.token) throw e;
      link = fresh;
      return read(fresh);
    });
    onGitLab(200);
    const statuses = pr ? pullRequestStatuses(link, pipeline, jobs, pr) : statusesFor(link, pipeline, jobs);

    const posted = await c.posted.forCommit(link.id, target.sha);
    const sent: string[] = [];
    for (const status of statuses) {
      const fingerprint = createHash("sha256").update(JSON.stringify(status)).digest("hex");
      const { by, key, previous } = await postingIdentity(c, installation, posted, status.key);
      if (previous && (previous.fingerprint === fingerprint || previous.pipelineId > pipeline.id)) continue;
      const body = key === status.key ? status : { ...status, key };
      await c.budget.spend(by.key, () => by.bitbucket.postBuildStatus(by.workspaceUuid, link.repoUuid, target.sha, body));
      if ((p.reconcile && previous?.state === "INPROGRESS" && status.state !== "INPROGRESS") || p.sweep) {
        // GitLab finished this pipeline (or the sweep found one Bitbucket never showed) and no hook told
        // us: the link's webhook may be broken.
        log.warn({ linkId: link.id, sha: p.sha, key: status.key }, "reconciliation corrected a status no webhook had updated");
        await c.links.noteMissedWebhook(link.id, Date.now());
      }
      await c.posted.record({
        linkId: link.id,
        sha: target.sha,
        statusKey: key,
        pipelineId: pipeline.id,
        state: status.state,
        fingerprint,
        ref: target.ref,
        postedAt: Date.now(),
        poster: by === installation ? null : by.key,
      });
      sent.push(`${status.state} ${key}`);
    }
    // A finished pipeline's reports follow its status (when that status was news), as work of their own:
    // they may wait for budget, statuses never do.
    // A merge-result pipeline's reports go on the pull request's source head, under that pull request's
    // report ids (publish-reports.ts), beside the branch pipeline's.
    if (c.reports && link.reports && sent.length > 0 && FINISHED.has(pipeline.status) && hasReports(pipeline, jobs)) {
      await queueReports(c.reports, link, {
        sha: target.sha,
        ref: p.ref,
        pipelineId: pipeline.id,
        ...(pr ? { mergeWith: pr.destinationBranch } : {}),
        // What the jobs just read report: publishing does not read them again.
        jobs: reportJobsOf(jobs),
      });
    }
    const what = `${p.reconcile ? "re-check: " : p.sweep ? "catch-up (no hook came): " : ""}pipeline #${pipeline.id} ${pipeline.status} on ${p.ref} @ ${p.sha.slice(0, 12)}`;
    return sent.length > 0 ? `${what}: posted ${sent.join(", ")}` : `${what}: Bitbucket already shows this`;
  };

/**
 * Who posts a status key, and under which key. Bitbucket lets only a status's creator overwrite it: a
 * status the Connect edition created before the Forge installation adopted the link (`poster`) is finished
 * by the Connect identity while it is installed; once it is gone, the result goes out under a key of the
 * link's own installation (handedOverKey), since the old key can no longer be written by anyone.
 */
async function postingIdentity(
  c: Pick<SyncStatusesCollaborators, "findInstallation">,
  installation: Installation,
  posted: Map<string, PostedStatus>,
  statusKey: string,
): Promise<{ by: Installation; key: string; previous: PostedStatus | undefined }> {
  const previous = posted.get(statusKey);
  if (!previous?.poster || previous.poster === installation.key) return { by: installation, key: statusKey, previous };
  const creator = await c.findInstallation(previous.poster);
  if (creator) return { by: creator, key: statusKey, previous };
  const key = handedOverKey(statusKey);
  return { by: installation, key, previous: posted.get(key) };
}

async function readGitLab(
  api: GitLabApi,
  link: Link,
  p: StatusSyncPayload,
): Promise<{ pipeline: GitLabPipeline; jobs: GitLabJob[] }> {
  try {
    const pipeline =
      (await api.newestPipeline(link.projectId, p.sha, p.ref)) ?? (await api.pipeline(link.projectId, p.pipelineId));
    // Jobs are read only when needed: per-job statuses, to say at which stage a pipeline failed, or to see
    // whether a finished pipeline has reports to publish (their artifacts say so).
    const needJobs =
      link.statusMode !== "pipeline" || pipeline.status === "failed" || (link.reports && FINISHED.has(pipeline.status));
    const jobs = needJobs ? await api.jobs(link.projectId, pipeline.id) : [];
    return { pipeline, jobs };
  } catch (e) {
    throw gitlabFailure(e, "Reading the pipeline");
  }
}

// GitLab's own URLs go to Bitbucket only when they are pages of this link's GitLab (gitlab-web-url.ts).
const pageOf = (link: Link) => (webUrl: unknown, kind: string, id: number) =>
  gitlabWebUrl(webUrl, link.gitlabUrl, gitlabPage(link.gitlabUrl, link.projectPath, "-", kind, String(id)));

function factsOf(link: Link, pipeline: GitLabPipeline, jobs: GitLabJob[]): PipelineFacts {
  const page = pageOf(link);
  return {
    id: pipeline.id,
    projectId: link.projectId,
    projectPath: link.projectPath,
    ref: pipeline.ref,
    tag: pipeline.tag ?? false,
    status: pipeline.status,
    webUrl: page(pipeline.web_url, "pipelines", pipeline.id),
    durationSeconds: pipeline.duration ?? null,
    failedStage: jobs.find((j) => j.status === "failed" && !j.allow_failure)?.stage ?? null,
  };
}

function statusesFor(link: Link, pipeline: GitLabPipeline, jobs: GitLabJob[]): BuildStatus[] {
  const facts = factsOf(link, pipeline, jobs);
  const out: BuildStatus[] = [];
  if (link.statusMode !== "jobs") out.push(pipelineStatus(facts));
  if (link.statusMode !== "pipeline") for (const job of jobFacts(link, jobs)) push(out, jobStatus(facts, job));
  return out;
}

/**
 * A merge-result pipeline's statuses: its own always (it is what the pull request waits on, whatever the
 * mode), and its jobs' too when the link's mode shows jobs, each under keys of that pull request.
 */
function pullRequestStatuses(link: Link, pipeline: GitLabPipeline, jobs: GitLabJob[], pr: PullRequestTarget): BuildStatus[] {
  const facts = factsOf(link, pipeline, jobs);
  const out = [pullRequestPipelineStatus(facts, pr)];
  if (link.statusMode !== "pipeline") for (const job of jobFacts(link, jobs)) push(out, pullRequestJobStatus(facts, job, pr));
  return out;
}

const push = (out: BuildStatus[], status: BuildStatus | null) => status && out.push(status);

function jobFacts(link: Link, jobs: GitLabJob[]): JobFacts[] {
  const page = pageOf(link);
  return jobs.map((job) => ({
    name: job.name,
    stage: job.stage,
    status: job.status,
    allowFailure: job.allow_failure,
    webUrl: page(job.web_url, "jobs", job.id),
    durationSeconds: job.duration ?? null,
  }));
}

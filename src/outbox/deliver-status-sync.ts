import { createHash } from "node:crypto";
import { jobStatus, pipelineStatus, type BuildStatus, type PipelineFacts } from "../core/build-status";
import { BitbucketClient } from "../bitbucket/bitbucket-client";
import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { gitlabFailure, type GitLabApi, type GitLabJob, type GitLabPipeline } from "../gitlab/gitlab-api";
import type { StatusSyncPayload } from "./enqueue";
import { deferral, DeliveryFailure } from "./failure";
import type { Deliverer } from "./worker";

/**
 * Brings Bitbucket's statuses for one commit and ref up to date with GitLab. The webhook that queued
 * this is only a trigger: we read the newest pipeline for the commit and ref from GitLab now, so events
 * that arrived late, twice or out of order cannot make a status go back, and one delivery per key at a
 * time (the outbox's rule) means posts for a key never overtake each other.
 */
export const deliverStatusSync =
  (deps: Deps): Deliverer =>
  async (item, log) => {
    const p = item.payload as unknown as StatusSyncPayload;
    // The link comes from the cache intake keeps (10 s): reading and opening it per delivery was a
    // statement and two decryptions each time. If GitLab refuses its token, the link is read afresh once,
    // since the token may have just been replaced (possibly through another instance).
    const cached = await deps.linkCache.get(p.linkId);
    if (!cached) return;
    let link: Link = cached;
    const tenant = await deps.tenants.get(link.clientKey);
    if (!tenant) return;
    const read = (l: Link) =>
      readGitLab(deps.gitlab(l.gitlabUrl, l.token), l, p).catch((e: unknown) => {
        deps.metrics.peerResponses.inc({ peer: "gitlab", status: String((e as DeliveryFailure).status ?? 0) });
        throw e;
      });
    const { pipeline, jobs } = await read(link).catch(async (e: unknown) => {
      const refused = e instanceof DeliveryFailure && (e.status === 401 || e.status === 403);
      const fresh = refused ? await deps.linkCache.get(p.linkId, true) : null;
      if (!fresh || fresh.token === cached.token) throw e;
      link = fresh;
      return read(fresh);
    });
    deps.metrics.peerResponses.inc({ peer: "gitlab", status: "200" });
    const statuses = statusesFor(link, pipeline, jobs);

    const bitbucket = new BitbucketClient(tenant, deps.config.appKey, deps.config.httpTimeoutMs, (status) =>
      deps.metrics.peerResponses.inc({ peer: "bitbucket", status: String(status) }),
    );
    const posted = await deps.posted.forCommit(link.id, p.sha);
    const sent: string[] = [];
    for (const status of statuses) {
      const fingerprint = createHash("sha256").update(JSON.stringify(status)).digest("hex");
      const previous = posted.get(status.key);
      if (previous && (previous.fingerprint === fingerprint || previous.pipelineId > pipeline.id)) continue;
      await postWithinBudget(deps, link.clientKey, () => bitbucket.postBuildStatus(link.repoUuid, p.sha, status));
      if (p.reconcile && previous?.state === "INPROGRESS" && status.state !== "INPROGRESS") {
        // GitLab finished this pipeline and no hook told us: the link's webhook may be broken.
        log.warn({ linkId: link.id, sha: p.sha, key: status.key }, "reconciliation corrected a status no webhook had updated");
        await deps.links.noteMissedWebhook(link.id, Date.now());
      }
      await deps.posted.record({
        linkId: link.id,
        sha: p.sha,
        statusKey: status.key,
        pipelineId: pipeline.id,
        state: status.state,
        fingerprint,
        ref: p.ref,
        postedAt: Date.now(),
      });
      sent.push(`${status.state} ${status.key}`);
    }
    const what = `${p.reconcile ? "re-check: " : ""}pipeline #${pipeline.id} ${pipeline.status} on ${p.ref} @ ${p.sha.slice(0, 12)}`;
    return sent.length > 0 ? `${what}: posted ${sent.join(", ")}` : `${what}: Bitbucket already shows this`;
  };

/**
 * Spends one call of the installation's Bitbucket budget, or waits for it without using an attempt.
 * A 429 pauses the whole installation (for Retry-After, or BITBUCKET_429_PAUSE_MS) so its other work
 * waits too.
 */
async function postWithinBudget(deps: Deps, clientKey: string, post: () => Promise<void>): Promise<void> {
  const wait = await deps.budget.take(clientKey);
  if (wait > 0) throw deferral("waiting for this installation's Bitbucket rate budget", wait);
  try {
    await post();
  } catch (e) {
    if (e instanceof DeliveryFailure && e.status === 429) {
      await deps.budget.pause(clientKey, Date.now() + (e.retryAfterMs ?? deps.config.bitbucketBudget.pauseAfter429Ms));
    }
    throw e;
  }
}

async function readGitLab(
  api: GitLabApi,
  link: Link,
  p: StatusSyncPayload,
): Promise<{ pipeline: GitLabPipeline; jobs: GitLabJob[] }> {
  try {
    const pipeline =
      (await api.newestPipeline(link.projectId, p.sha, p.ref)) ?? (await api.pipeline(link.projectId, p.pipelineId));
    // Jobs are read only when needed: per-job statuses, or to say at which stage a pipeline failed.
    const jobs =
      link.statusMode !== "pipeline" || pipeline.status === "failed" ? await api.jobs(link.projectId, pipeline.id) : [];
    return { pipeline, jobs };
  } catch (e) {
    throw gitlabFailure(e, "Reading the pipeline");
  }
}

function statusesFor(link: Link, pipeline: GitLabPipeline, jobs: GitLabJob[]): BuildStatus[] {
  const facts: PipelineFacts = {
    id: pipeline.id,
    projectId: link.projectId,
    projectPath: link.projectPath,
    ref: pipeline.ref,
    tag: pipeline.tag ?? false,
    status: pipeline.status,
    webUrl: pipeline.web_url,
    durationSeconds: pipeline.duration ?? null,
    failedStage: jobs.find((j) => j.status === "failed" && !j.allow_failure)?.stage ?? null,
  };
  const out: BuildStatus[] = [];
  if (link.statusMode !== "jobs") out.push(pipelineStatus(facts));
  if (link.statusMode !== "pipeline") {
    for (const job of jobs) {
      const s = jobStatus(facts, {
        name: job.name,
        stage: job.stage,
        status: job.status,
        allowFailure: job.allow_failure,
        webUrl: job.web_url,
        durationSeconds: job.duration ?? null,
      });
      if (s) out.push(s);
    }
  }
  return out;
}

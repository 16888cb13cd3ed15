import { createHash } from "node:crypto";
import type { Link } from "../db/links";
import type { LinkCache } from "../links/link-cache";
import type { PostedStatuses } from "../db/posted-statuses";
import { handledKey, type PullRequest, type PullRequests, type PullRequestWork } from "../db/pull-requests";
import { PeerFailure, WorkAbandoned } from "../errors";
import { pullRequestBranch } from "../core/pull-request-ref";
import { pullRequestStoppedStatus } from "../core/pull-request-status";
import type { GitCache } from "../git/git-cache";
import type { GitCredential } from "../git/git-env";
import { mergeResult, resolveCommit } from "../git/merge-result";
import { runGit } from "../git/run-git";
import { gitlabFailure, statusOf, type GitLabApi } from "../gitlab/gitlab-api";
import type { GitLabFor } from "../gitlab/gitlab-clients";
import type { FindInstallation, Installation } from "../installations/installation";
import type { Outbox } from "../outbox/outbox";
import type { TenantBudget } from "../outbox/tenant-budget";
import type { Deliverer } from "../outbox/worker";
import { verdictOf } from "../outbox/failure";
import { bitbucketGitUrl, gitRemotes, isRepositoryFullName, type RepositoryTokens } from "./git-remotes";
import { mergePipelineContext } from "./pr-pipeline-context";
import { startMergePipeline } from "./pr-pipeline-start";
import type { Delivery, Wakeup } from "./work";

export const PR_PIPELINES = "pr-pipelines";

export interface PrPipelinesPayload {
  linkId: string;
}

/**
 * One waiting run per link (the dedupe key), one at a time across instances, like push-refs: each run
 * acts on every pull request of the link whose facts changed since the app last acted (intake stored
 * them first), so events folded into one run are not lost.
 */
export async function queuePrPipelines(
  c: { outbox: Outbox; wake: Wakeup },
  link: Pick<Link, "id" | "clientKey">,
  delivery?: Delivery,
): Promise<boolean> {
  const written = await c.outbox.enqueue<PrPipelinesPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: PR_PIPELINES,
    dedupeKey: `prs:${link.id}`,
    payload: { linkId: link.id },
    delivery,
  });
  if (written) c.wake.kick();
  return written;
}

export interface PrPipelinesCollaborators {
  /** The link as intake and the other deliverers read it (10 s); its repository name is kept through it. */
  linkCache: Pick<LinkCache, "get" | "setRepoFullName">;
  /** Bitbucket read tokens for git, held as push sync holds them. */
  tokens: RepositoryTokens;
  pullRequests: PullRequests;
  posted: PostedStatuses;
  budget: TenantBudget;
  findInstallation: FindInstallation;
  gitlab: GitLabFor;
  cache: GitCache;
  /** Refuses a GitLab URL that now resolves into a private network (checked before every git command run). */
  reach: (gitlabUrl: string, clientKey: string) => Promise<void>;
  gitTimeoutMs: number;
}

const FINISHED = new Set(["success", "failed", "canceled", "skipped"]);

/**
 * Merge-result pipelines for a push-sync link's pull requests: for each open one, the merge of its source
 * head into its destination head is made in the link's cache, pushed to GitLab as `bitbucket/pr-<id>`
 * and given a pipeline with the pull request's context; a superseded run is cancelled; a closed pull
 * request's runs are cancelled and its branch deleted.
 */
export const prPipelines =
  (c: PrPipelinesCollaborators): Deliverer =>
  async (item) => {
    const { linkId } = item.payload as unknown as PrPipelinesPayload;
    let link = await c.linkCache.get(linkId);
    if (!link) return; // unlinked since
    const due = await c.pullRequests.due(link.id);
    if (due.length === 0) return "nothing changed";
    const installation = await c.findInstallation(link.clientKey);
    if (!installation) throw new WorkAbandoned("The app is no longer installed in this workspace");
    const said: string[] = [];
    // One pull request's trouble does not hold up the others. One that failed for good is recorded (the
    // page says why; its next event tries again); a passing trouble is retried with the run, after the
    // others were handled (recorded as handled, they are not redone).
    let retry: unknown = null;
    for (const pr of due) {
      try {
        let outcome: string;
        try {
          outcome = await handle(c, link, installation, pr);
        } catch (e) {
          // A refused GitLab token may just have been replaced (possibly through another instance).
          const fresh = tokenRefused(e) ? await c.linkCache.get(linkId, true) : null;
          if (!fresh || fresh.token === link.token) throw e;
          link = fresh;
          outcome = await handle(c, link, installation, pr);
        }
        said.push(`#${pr.prId}: ${outcome}`);
      } catch (e) {
        const verdict = verdictOf(e);
        if (verdict.kind !== "permanent") {
          retry ??= e;
          said.push(`#${pr.prId}: to retry: ${verdict.message}`);
          continue;
        }
        await c.pullRequests.recordWork(link.id, pr.prId, {
          ...pr,
          handled: handledKey(pr),
          outcome: "failed",
          note: verdict.message.slice(0, 500),
        });
        said.push(`#${pr.prId}: failed: ${verdict.message}`);
      }
    }
    if (retry) throw retry;
    return said.join("; ");
  };

const tokenRefused = (e: unknown) => e instanceof PeerFailure && e.peer === "gitlab" && (e.status === 401 || e.status === 403);

async function handle(c: PrPipelinesCollaborators, link: Link, installation: Installation, pr: PullRequest): Promise<string> {
  const handled = handledKey(pr);
  const before: PullRequestWork = { ...pr, handled };
  const api = c.gitlab(link.gitlabUrl, link.token, link.clientKey);
  if (pr.state !== "OPEN") {
    await cancelRunning(api, link, pr.pipelineId);
    await c.reach(link.gitlabUrl, link.clientKey);
    try {
      await api.deleteBranch(link.projectId, pullRequestBranch(pr.prId));
    } catch (e) {
      throw gitlabFailure(e, `Deleting ${pullRequestBranch(pr.prId)}`);
    }
    await c.pullRequests.recordWork(link.id, pr.prId, { ...before, outcome: "closed" });
    return `${pr.state.toLowerCase()}: cleaned up`;
  }
  if (link.sync !== "push" || !link.pullRequestPipelines) {
    await c.pullRequests.recordWork(link.id, pr.prId, { ...before, outcome: "off" });
    return "pull-request pipelines are off for this link";
  }
  // The repository's git URL and the app's read token, as push sync has them (a Forge link's full name is
  // read from Bitbucket once and kept).
  const remotes = await gitRemotes({ ...c, links: c.linkCache }, link);

  const fork = pr.sourceRepoUuid !== null && pr.sourceRepoUuid.toLowerCase() !== link.repoUuid.toLowerCase();
  if (fork) {
    const sourceName = pr.sourceRepoFullName && isRepositoryFullName(pr.sourceRepoFullName) ? pr.sourceRepoFullName : null;
    const sameWorkspace = !!sourceName && workspaceOf(sourceName) === workspaceOf(remotes.fullName);
    const why = !pr.sourceRepoUuid
      ? `No pipeline ran: Bitbucket did not say which repository the source branch is in`
      : !sameWorkspace
        ? `No pipeline ran: the source branch is in a fork outside this workspace, whose code never runs in GitLab`
        : !link.pullRequestForks
          ? `No pipeline ran: pull requests from forks are off for this repository (its GitLab CI settings can allow forks from this workspace)`
          : null;
    if (why) {
      await cancelRunning(api, link, pr.pipelineId);
      // The fork is not fetched: its head's full hash comes from the pull request's commits.
      const head = await c.budget
        .spend(installation.key, () => installation.bitbucket.pullRequestHead(installation.workspaceUuid, link.repoUuid, pr.prId))
        .catch((e: unknown) => {
          // Gone, or not readable: the page still says why nothing ran.
          if (e instanceof PeerFailure && !e.transient) return null;
          throw e;
        });
      if (head && (!pr.sourceCommit || head.startsWith(pr.sourceCommit))) await postStopped(c, link, installation, pr, head, why);
      await c.pullRequests.recordWork(link.id, pr.prId, { ...before, outcome: sameWorkspace ? "forks-off" : "fork-refused" });
      return sameWorkspace ? "from a fork: forks are off" : "from a fork outside the workspace: refused";
    }
  }

  // Fetched as the app: the linked repository, and a same-workspace fork with its own repository token.
  const destinationUrl = remotes.bitbucket.url;
  const sourceUrl = fork ? bitbucketGitUrl(installation.webBaseUrl, pr.sourceRepoFullName!) : destinationUrl;
  const credentials: GitCredential[] = [remotes.bitbucket];
  if (fork)
    credentials.push({ url: sourceUrl, user: "x-token-auth", password: await c.tokens.get(installation, pr.sourceRepoUuid!) });
  const cwd = await c.cache.open(link.id);
  const run = { cwd, timeoutMs: c.gitTimeoutMs };
  const sourceRef = `refs/pr/${pr.prId}/source`;
  const destinationRef = `refs/pr/${pr.prId}/destination`;
  const fetch = (url: string, specs: string[]) =>
    runGit(["fetch", "--quiet", "--no-tags", url, ...specs], {
      ...run,
      credentials,
      what: "Fetching the pull request's branches from Bitbucket",
      peer: "bitbucket",
    });
  const destinationSpec = `+refs/heads/${pr.destinationBranch}:${destinationRef}`;
  const sourceSpec = `+refs/heads/${pr.sourceBranch}:${sourceRef}`;
  if (fork) {
    await fetch(destinationUrl, [destinationSpec]);
    await fetch(sourceUrl, [sourceSpec]);
  } else await fetch(destinationUrl, [destinationSpec, sourceSpec]);
  const sourceSha = await commitOf(run, pr.sourceCommit, sourceRef);
  const destinationSha = await commitOf(run, pr.destinationCommit, destinationRef);
  c.cache.touch(cwd);

  // An event that changed nothing the merge depends on (a title, a reviewer) keeps the run it has.
  if (pr.pipelineId !== null && pr.sourceSha === sourceSha && pr.destinationSha === destinationSha) {
    await c.pullRequests.recordWork(link.id, pr.prId, { ...before, handled });
    return `merge result unchanged: pipeline #${pr.pipelineId} stands`;
  }
  await cancelRunning(api, link, pr.pipelineId);

  const merged = await mergeResult(
    run,
    destinationSha,
    sourceSha,
    `Merge result of pull request #${pr.prId}: ${pr.sourceBranch} into ${pr.destinationBranch}`,
  );
  if (merged.conflict) {
    const files = merged.files.length ? ` (${merged.files.slice(0, 3).join(", ")}${merged.files.length > 3 ? ", …" : ""})` : "";
    const why = `No pipeline ran: ${pr.sourceBranch} conflicts with ${pr.destinationBranch}${files}; resolve the conflict to test the merge result`;
    await postStopped(c, link, installation, pr, sourceSha, why);
    const work = { handled, sourceSha, destinationSha, mergeSha: null, pipelineId: null, outcome: "conflict", note: null };
    await c.pullRequests.recordWork(link.id, pr.prId, work);
    return `conflicts with ${pr.destinationBranch}: no pipeline`;
  }

  // The CI file's path is the project's setting; its header, read from the merge commit in the cache,
  // says which of the pull request's facts go as inputs.
  await c.reach(link.gitlabUrl, link.clientKey);
  const ciConfigPath = await api.project(link.projectId).then(
    (p) => p.ci_config_path,
    (e: unknown) => {
      throw gitlabFailure(e, "Reading the project's CI configuration path");
    },
  );
  const facts = {
    prId: pr.prId,
    sourceBranch: pr.sourceBranch,
    destinationBranch: pr.destinationBranch,
    sourceSha,
    destinationSha,
  };
  const { context, note } = await mergePipelineContext(run, merged.sha, ciConfigPath, facts);

  const gitlabUrl = remotes.gitlab.url;
  const toGitLab = remotes.gitlab;
  // ci.skip: GitLab's own push pipeline would lack the pull request's context; the API call below adds it.
  await runGit(["push", "--quiet", "-o", "ci.skip", gitlabUrl, `+${merged.sha}:refs/heads/${pullRequestBranch(pr.prId)}`], {
    ...run,
    credentials: [toGitLab],
    what: "Pushing the merge result to GitLab",
    peer: "gitlab",
  });
  const started = await startMergePipeline(api, link.projectId, pullRequestBranch(pr.prId), context, note);
  await c.pullRequests.recordWork(link.id, pr.prId, {
    handled,
    sourceSha,
    destinationSha,
    mergeSha: merged.sha,
    pipelineId: started.pipelineId,
    outcome: "pipeline",
    note: started.note,
  });
  return `merge result ${merged.sha.slice(0, 12)}: pipeline #${started.pipelineId}${started.note ? ` (${started.note})` : ""}`;
}

/** The commit the event named, resolved in the cache; the fetched branch head when it named none or one the cache lacks (force-pushed away). */
async function commitOf(run: { cwd: string; timeoutMs: number }, named: string | null, fetchedRef: string): Promise<string> {
  const resolved = named ? await resolveCommit(run, named) : null;
  if (resolved) return resolved;
  const head = await resolveCommit(run, fetchedRef);
  if (!head) throw new WorkAbandoned(`The pull request's branch ${fetchedRef} could not be read`);
  return head;
}

async function cancelRunning(api: GitLabApi, link: Link, pipelineId: number | null): Promise<void> {
  if (pipelineId === null) return;
  try {
    const pipeline = await api.pipeline(link.projectId, pipelineId);
    if (!FINISHED.has(pipeline.status)) await api.cancelPipeline(link.projectId, pipelineId);
  } catch (e) {
    if (statusOf(e) === 404) return; // gone with its branch, or deleted in GitLab
    throw gitlabFailure(e, `Cancelling the superseded pipeline #${pipelineId}`);
  }
}

async function postStopped(
  c: PrPipelinesCollaborators,
  link: Link,
  installation: Installation,
  pr: PullRequest,
  sha: string,
  why: string,
): Promise<void> {
  const status = pullRequestStoppedStatus(link.projectId, link.projectWebUrl, pr, why);
  await c.budget.spend(installation.key, () =>
    installation.bitbucket.postBuildStatus(installation.workspaceUuid, link.repoUuid, sha, status),
  );
  await c.posted.record({
    linkId: link.id,
    sha,
    statusKey: status.key,
    pipelineId: 0,
    state: status.state,
    // A hash, as for every status (the column holds 64 characters: PostgreSQL refused the reason itself).
    fingerprint: createHash("sha256").update(JSON.stringify(status)).digest("hex"),
    // The app's ref, as for its merge-result pipelines' statuses (sync-statuses.ts).
    ref: pullRequestBranch(pr.prId),
    postedAt: Date.now(),
  });
}

const workspaceOf = (fullName: string) => fullName.split("/")[0]!.toLowerCase();

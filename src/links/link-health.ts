import { bitbucketState } from "../core/status-state";
import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { gitlabPage, gitlabWebUrl } from "../core/gitlab-web-url";
import { gitlabMessage, statusOf, type GitLabApi } from "../gitlab/gitlab-api";
import { queueStatusSync } from "../sync/sync-statuses";
import { failedDeliveries } from "./failed-deliveries";
import { publishedReports } from "./published-reports-view";

/**
 * What GitLab says right now about a link: the pull mirror, our webhook, and the newest pipeline of the
 * default branch with the statuses we posted for its commit. Each part fails on its own, so one refusal
 * (say, a Developer's token cannot read the mirror) still leaves the rest to show.
 */
type HealthDeps = Pick<Deps, "gitlab" | "outbox" | "posted" | "published" | "findInstallation">;

export async function linkHealth(deps: HealthDeps, link: Link) {
  return (await readHealth(deps, link)).health;
}

async function readHealth(deps: HealthDeps, link: Link) {
  const api = deps.gitlab(link.gitlabUrl, link.token, link.clientKey);
  const [mirror, webhook, pipeline, failed] = await Promise.all([
    mirrorHealth(api, link),
    webhookHealth(api, link),
    latest(api, link),
    failedDeliveries(deps, link),
  ]);
  // Bitbucket is asked only when GitLab shows the code to others: a private project needs no warning.
  const shown = pipeline.visibility === "public" || pipeline.visibility === "internal";
  const bitbucketPrivate = shown ? await bitbucketIsPrivate(deps, link) : null;
  const posted = pipeline.found ? await deps.posted.forCommit(link.id, pipeline.found.sha) : new Map();
  const bitbucket = [...posted.values()]
    .filter((s) => s.ref === pipeline.found?.ref)
    .map((s) => ({
      key: s.statusKey,
      /** What Bitbucket shows as the status's name: the pipeline, or the job after the last colon. */
      name: statusName(link, s.statusKey),
      state: s.state,
      pipelineId: s.pipelineId,
      postedAt: new Date(s.postedAt).toISOString(),
    }));
  const reports = await publishedReports(deps, link, "ref" in pipeline.view ? (pipeline.view.ref ?? null) : null);
  const queued = await deps.outbox.inFlightForLink(link.id);
  const running = pipeline.view.state === "found" && pipeline.view.bitbucketState === "INPROGRESS";
  const pulling = mirror.state === "ok" && (mirror.updateStatus === "started" || mirror.updateStatus === "scheduled");
  const visibility = visibilityWarning(link, pipeline.visibility, bitbucketPrivate);
  const health = {
    checkedAt: new Date().toISOString(),
    mirror,
    webhook,
    pipeline: pipeline.view,
    bitbucket,
    failed,
    reports,
    visibility,
    // Work is queued for the link, the mirror is updating or the newest pipeline runs: the page looks again soon.
    inFlight: queued > 0 || running || pulling,
  };
  return { health, found: pipeline.found };
}

/** A status key in words: "Pipeline" for `gitlab:<project>:<ref>`, the job's name for `…:<ref>:<job>`. */
function statusName(link: Link, key: string): string {
  const prefix = `gitlab:${link.projectId}:`;
  if (!key.startsWith(prefix)) return "Pipeline";
  const rest = key.slice(prefix.length);
  const job = rest.includes(":") ? rest.slice(rest.indexOf(":") + 1) : "";
  return job ? `Job ${job}` : "Pipeline";
}

/**
 * "Re-check now": reads the health, keeps the mirror state GitLab reported on the link, and queues a
 * status sync for the newest pipeline of the default branch so Bitbucket shows GitLab's current answer.
 */
export async function recheckLink(deps: HealthDeps & Pick<Deps, "links" | "worker">, link: Link) {
  const { found, health } = await readHealth(deps, link);
  const alreadyShown = !!found && shownAsIs(link, found, health.bitbucket);
  if (health.mirror.state === "ok") {
    await deps.links.setMirrorState(link.id, {
      ...link.mirrorState,
      checkedAt: health.checkedAt,
      updateStatus: health.mirror.updateStatus,
      lastError: health.mirror.lastError,
      lastSuccessfulUpdateAt: health.mirror.lastSuccessfulUpdateAt,
    });
  }
  if (found && !alreadyShown)
    await queueStatusSync({ outbox: deps.outbox, wake: deps.worker }, link, {
      sha: found.sha,
      ref: found.ref,
      pipelineId: found.id,
    });
  const statusQueued = !!found && !alreadyShown;
  return { ...health, inFlight: health.inFlight || statusQueued, statusQueued, alreadyShown };
}

/**
 * Whether Bitbucket already shows this finished pipeline as GitLab has it: every status we posted for the
 * commit and ref is of this pipeline and final, and the pipeline's own status (unless the link posts per
 * job only) has its state. Then re-posting would change nothing, and the page says so.
 */
function shownAsIs(
  link: Link,
  found: { id: number; status: string },
  shown: { key: string; state: string; pipelineId: number }[],
): boolean {
  const want = bitbucketState(found.status);
  if (want === "INPROGRESS" || shown.length === 0) return false;
  if (!shown.every((s) => s.pipelineId === found.id && s.state !== "INPROGRESS")) return false;
  return link.statusMode === "jobs" || shown.some((s) => s.state === want && statusName(link, s.key) === "Pipeline");
}

async function mirrorHealth(api: GitLabApi, link: Link) {
  try {
    const m = await api.mirror(link.projectId);
    return {
      state: "ok" as const,
      updateStatus: m.update_status ?? null,
      lastError: m.last_error ?? null,
      lastSuccessfulUpdateAt: m.last_successful_update_at ?? null,
      lastUpdateAt: m.last_update_at ?? null,
    };
  } catch (e) {
    const status = statusOf(e);
    const message =
      status === 400
        ? "The project is not a pull mirror (or the GitLab plan has no pull mirroring)"
        : status === 403 || status === 404
          ? "The token cannot read the mirror (needs Maintainer)"
          : `GitLab ${status ?? "unreachable"}: ${gitlabMessage(e)}`;
    return { state: "unknown" as const, message };
  }
}

async function webhookHealth(api: GitLabApi, link: Link) {
  if (link.webhookId == null) {
    // Nobody has added it yet as far as we know: until GitLab's first delivery, saying "added by hand" is a guess.
    if (link.webhookLastReceivedAt == null)
      return {
        state: "waiting" as const,
        message: "Waiting for the first delivery: add the webhook in GitLab (Settings › Webhooks)",
      };
    return { state: "manual" as const, message: "Added by hand in GitLab; the app cannot check it" };
  }
  try {
    const hook = await api.hook(link.projectId, link.webhookId);
    const alert = hook.alert_status ?? "executable";
    if (alert === "executable") return { state: "ok" as const, message: "Registered and active" };
    const until = hook.disabled_until ? ` until ${hook.disabled_until}` : "";
    return { state: "failing" as const, message: `GitLab disabled it after failed deliveries (${alert}${until})` };
  } catch (e) {
    if (statusOf(e) === 404)
      return { state: "missing" as const, message: "GitLab no longer has the webhook: link again to add it" };
    return { state: "unknown" as const, message: `Could not read the webhook: ${gitlabMessage(e)}` };
  }
}

async function latest(api: GitLabApi, link: Link) {
  try {
    const project = await api.project(link.projectId);
    const ref = project.default_branch ?? null;
    const visibility = project.visibility ?? null;
    const found = ref ? await api.latestPipeline(link.projectId, ref) : null;
    if (!found) return { found: null, visibility, view: { state: "none" as const, ref } };
    const { id, status, sha, updated_at: updatedAt = null } = found;
    const fallback = gitlabPage(link.gitlabUrl, link.projectPath, "-/pipelines", String(id));
    const webUrl = gitlabWebUrl(found.web_url, link.gitlabUrl, fallback);
    // What the status means is decided in core, once: the page colours it by its Bitbucket state.
    const view = {
      state: "found" as const,
      id,
      status,
      bitbucketState: bitbucketState(status),
      ref: found.ref,
      sha,
      webUrl,
      updatedAt,
    };
    return { found, visibility, view };
  } catch (e) {
    return {
      found: null,
      visibility: null,
      view: { state: "unknown" as const, message: `Could not read pipelines: ${gitlabMessage(e)}` },
    };
  }
}

/** Whether Bitbucket shows the repository as private (null when it could not be read: no warning then). */
async function bitbucketIsPrivate(deps: Pick<Deps, "findInstallation">, link: Link): Promise<boolean | null> {
  try {
    const installation = await deps.findInstallation(link.clientKey);
    if (!installation) return null;
    return (await installation.bitbucket.repository(installation.workspaceUuid, link.repoUuid)).isPrivate;
  } catch {
    return null;
  }
}

/**
 * A private Bitbucket repository whose code and pipeline logs anyone can read in GitLab (public), or any
 * signed-in GitLab user (internal): said on the page, since linking copies the code there.
 */
function visibilityWarning(link: Link, gitlab: string | null, bitbucketPrivate: boolean | null) {
  const exposed = (gitlab === "public" || gitlab === "internal") && bitbucketPrivate === true;
  const who = gitlab === "public" ? "anyone" : "every signed-in user of that GitLab";
  return {
    gitlab,
    bitbucketPrivate,
    warning: exposed
      ? `${link.projectPath} is ${gitlab} in GitLab while this repository is private on Bitbucket: ${who} can read its code and pipeline logs there. Make the GitLab project private.`
      : null,
  };
}

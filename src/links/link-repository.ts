import { randomBytes, randomUUID } from "node:crypto";
import type { Link, StatusMode, SyncMode, TokenSource } from "../db/links";
import type { Deps } from "../deps";
import { gitlabPage, gitlabWebUrl } from "../core/gitlab-web-url";
import { AppError } from "../errors";
import { gitlabMessage, statusOf, type GitLabApi, type GitLabProject, type GitLabUser } from "../gitlab/gitlab-api";
import { checked, toLinkError } from "./gitlab-errors";
import { webhookUrl } from "./link-view";
import { mirrorSourceMismatch, mismatchText } from "./mirror-source";
import { IMMEDIATE } from "./project-readiness";

export interface LinkRequest {
  clientKey: string;
  repoUuid: string;
  repoFullName: string | null;
  gitlabUrl: string;
  project: string | number;
  token: string;
  statusMode: StatusMode;
  user: string;
  /** "workspace" when the token is the workspace's default (it then follows a change of the default). */
  tokenSource?: TokenSource;
  /** The app created the project and keeps its pull mirror's Bitbucket credentials fresh. */
  managesMirror?: boolean;
  /** Publish Code Insights reports; left out, an existing link keeps its choice (new links: on). */
  reports?: boolean;
  /** Pull-request merge-result pipelines and forks; left out, an existing link keeps its choice. */
  pullRequestPipelines?: boolean;
  pullRequestForks?: boolean;
  /** Left out: an existing link keeps its mode, a new one gets `defaultSync`'s. */
  sync?: SyncMode;
  /** This repository's clone URL; when GitLab shows the mirror pulls another one, linking needs `acceptMirrorSource`. */
  repositoryUrl?: string | null;
  /** The admin confirmed linking a project that pull-mirrors another repository. */
  acceptMirrorSource?: boolean;
}

export interface LinkResult {
  link: Link;
  webhook: { url: string; registered: boolean; secret?: string; reason?: string };
  /** Linked, but something the admin should know (the mirror pulls another repository). */
  warning?: string;
}

const REPORTER = 20;
const MAINTAINER = 40;

/**
 * Links a repository to a GitLab project: checks the token and the project against GitLab first (and
 * changes nothing if they fail), registers our webhook when the token may (Maintainer), and stores the
 * link with its token and a fresh webhook secret sealed. Re-linking keeps the link id, so its webhook URL
 * stays the same, and replaces the hook we had registered.
 */
export async function linkRepository(
  deps: Pick<Deps, "audit" | "config" | "gitlab" | "linkCache" | "links" | "log">,
  req: LinkRequest,
): Promise<LinkResult> {
  const api = deps.gitlab(req.gitlabUrl, req.token, req.clientKey);
  const user = await checked(() => api.currentUser(), "token");
  const project = await checked(() => api.projectDetails(req.project), "project");
  const access = await checked(() => api.accessLevel(project.id, user.id), "project");
  if (access < REPORTER) {
    throw new AppError(
      "gitlab_insufficient_role",
      422,
      `${user.username} needs at least the Reporter role on ${project.path_with_namespace} to read its pipelines`,
    );
  }
  // GitLab shows the mirror's source to Maintainers only; a lesser token cannot tell, and is not asked.
  const mismatch = project.mirror ? mirrorSourceMismatch(project.import_url, req.repositoryUrl) : null;
  if (mismatch && !req.acceptMirrorSource) {
    throw new AppError(
      "mirror_source_mismatch",
      409,
      `${mismatchText(mismatch, project.path_with_namespace)} Link it anyway only if that is what you want (acceptMirrorSource: true).`,
      { ...mismatch },
    );
  }

  const previous = await deps.links.forRepository(req.clientKey, req.repoUuid);
  const id = previous?.id ?? randomUUID();
  const secret = randomBytes(32).toString("base64url");
  const url = webhookUrl(deps.config.baseUrl, id);
  if (previous?.webhookId != null) await removeHookQuietly(deps, previous);
  const hook = access >= MAINTAINER ? await registerHook(api, project, url, secret, deps.config.env === "production") : null;

  const link = await deps.links.save({
    id,
    clientKey: req.clientKey,
    repoUuid: req.repoUuid,
    repoFullName: req.repoFullName,
    gitlabUrl: req.gitlabUrl,
    projectId: project.id,
    projectPath: project.path_with_namespace,
    projectWebUrl: gitlabWebUrl(project.web_url, req.gitlabUrl, gitlabPage(req.gitlabUrl, project.path_with_namespace)),
    token: req.token,
    webhookSecret: secret,
    webhookId: hook?.id ?? null,
    statusMode: req.statusMode,
    createdBy: req.user || null,
    tokenSource: req.tokenSource ?? "repository",
    managesMirror: req.managesMirror ?? false,
    reports: req.reports,
    pullRequestPipelines: req.pullRequestPipelines,
    pullRequestForks: req.pullRequestForks,
    sync: req.sync ?? previous?.sync ?? defaultSync(project, access),
  });
  await noteTriggerAccess(deps, link, access);
  deps.linkCache.forget(link.id);
  await deps.audit.record(req.clientKey, req.repoUuid, {
    actor: req.user || null,
    action: previous ? "changed" : "linked",
    summary:
      `${previous ? "Re-linked" : "Linked"} to ${project.path_with_namespace} on ${req.gitlabUrl}, ${req.statusMode} statuses, ` +
      `${req.tokenSource === "workspace" ? "the workspace's token" : `a token ending ${link.tokenHint}`}` +
      (previous && previous.projectPath !== project.path_with_namespace ? ` (was ${previous.projectPath})` : ""),
  });
  deps.log.info(
    {
      clientKey: req.clientKey,
      repoUuid: req.repoUuid,
      projectId: project.id,
      webhookRegistered: !!hook,
      tokenSource: req.tokenSource ?? "repository",
    },
    "repository linked",
  );
  return {
    link: (await deps.links.byId(link.id)) ?? link,
    webhook: hook ? { url, registered: true } : { url, registered: false, secret, reason: hookReason(user, project, access) },
    ...(mismatch && { warning: `Linked as you confirmed: ${mismatchText(mismatch, project.path_with_namespace)}` }),
  };
}

/**
 * GitLab lets only Maintainers trigger a pull mirror update: with a lesser token every push would end in
 * a 403 and a failed delivery, so the link remembers that pushes trigger nothing (issue 15). Linking again
 * with a Maintainer's token lifts it.
 */
async function noteTriggerAccess(deps: Pick<Deps, "links">, link: Link, access: number): Promise<void> {
  const blocked =
    link.sync === "mirror" && access < MAINTAINER
      ? `The token's user is not a Maintainer of ${link.projectPath}, and GitLab lets only Maintainers start mirror updates. ${IMMEDIATE}`
      : null;
  if ((link.mirrorState?.triggerBlocked ?? null) === blocked) return;
  await deps.links.setMirrorState(link.id, {
    ...(link.mirrorState ?? { updateStatus: null, lastError: null, lastSuccessfulUpdateAt: null }),
    checkedAt: link.mirrorState?.checkedAt ?? new Date().toISOString(),
    triggerError: null,
    triggerBlocked: blocked,
  });
}

/** Unlinks a repository: removes our GitLab hook (best effort), queued work, its event log and the link. */
export async function unlinkRepository(
  deps: Pick<Deps, "audit" | "events" | "gitlab" | "linkCache" | "links" | "log" | "outbox" | "posted">,
  clientKey: string,
  repoUuid: string,
  actor: string | null = null,
): Promise<boolean> {
  const link = await deps.links.forRepository(clientKey, repoUuid);
  if (!link) return false;
  await removeHookQuietly(deps, link);
  await deps.outbox.removeLink(link.id);
  await deps.posted.removeLink(link.id);
  await deps.events.removeLink(link.id);
  await deps.links.remove(link.id);
  deps.linkCache.forget(link.id);
  await deps.audit.record(clientKey, repoUuid, {
    actor,
    action: "unlinked",
    summary: `Unlinked from ${link.projectPath} on ${link.gitlabUrl}`,
  });
  deps.log.info({ clientKey, repoUuid }, "repository unlinked");
  return true;
}

async function registerHook(api: GitLabApi, project: GitLabProject, url: string, secret: string, verifySsl: boolean) {
  try {
    return await api.addHook(project.id, url, secret, verifySsl);
  } catch (e) {
    if (statusOf(e) === 403) return null; // the role check said Maintainer, but GitLab knows best
    throw toLinkError(e, "project");
  }
}

async function removeHookQuietly(deps: Pick<Deps, "gitlab" | "log">, link: Link): Promise<void> {
  if (link.webhookId == null) return;
  try {
    await deps.gitlab(link.gitlabUrl, link.token, link.clientKey).removeHook(link.projectId, link.webhookId);
  } catch (e) {
    deps.log.warn({ linkId: link.id, reason: gitlabMessage(e) }, "could not remove the GitLab webhook");
  }
}

/**
 * The app pushes unless the project may be a pull mirror: GitLab shows `mirror` to Maintainers only, so a
 * lesser token cannot tell, and force-pushing into a pull mirror would fight it. A Maintainer who sees no
 * `mirror` field is on a plan without mirroring: nothing to fight.
 */
export const defaultSync = (project: GitLabProject, access: number): SyncMode =>
  access >= MAINTAINER && project.mirror !== true ? "push" : "mirror";

const hookReason = (user: GitLabUser, project: GitLabProject, access: number) =>
  access < MAINTAINER
    ? `${user.username} is not a Maintainer of ${project.path_with_namespace}, so the webhook could not be added for you`
    : `GitLab refused to add the webhook for ${user.username}`;

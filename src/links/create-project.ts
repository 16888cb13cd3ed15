import type { StatusMode, SyncMode } from "../db/links";
import type { Deps } from "../deps";
import { AppError, badRequest, PeerFailure, WorkAbandoned, WorkDeferred } from "../errors";
import { gitlabMessage, statusOf, type GitLabProjectDetails } from "../gitlab/gitlab-api";
import { FORGE_KEY_PREFIX } from "../installations/installation";
import { checked } from "./gitlab-errors";
import { openGitLab, type ResolvedCredentials } from "./gitlab-session";
import { linkRepository, type LinkResult } from "./link-repository";
import { cloneUrl, withToken } from "./mirror-credentials";
import { queuePushSyncNow } from "../sync/push-refs";

export interface CreateProjectRequest {
  clientKey: string;
  repoUuid: string;
  /** workspace/repo, from the page Bitbucket framed: the clone URL needs it. */
  repoFullName: string | null;
  creds: ResolvedCredentials;
  namespaceId: number;
  name: string;
  statusMode: StatusMode;
  user: string;
  /** "push": a plain project the app pushes to, on any GitLab tier (issue 15, item 8); default "mirror". */
  sync?: SyncMode;
}

export interface CreateProjectResult extends LinkResult {
  project: { id: number; path: string; webUrl: string; mirror: boolean };
  /** Said plainly when GitLab did not do all we asked. */
  warning?: string;
}

/**
 * "Create the GitLab project for me": mints a Bitbucket access token from the app's Connect JWT, asks
 * GitLab for a "CI/CD for external repository" project in the chosen namespace that pull-mirrors this
 * repository with that token and runs pipelines for mirror updates, then links it like a picked project
 * (webhook included). The token lives 2 hours; the mirror trigger renews it before each update. Neither
 * the token nor the clone URL carrying it is stored or logged by us: GitLab keeps them.
 */
export async function createMirrorProject(
  deps: Pick<
    Deps,
    "audit" | "config" | "findInstallation" | "gitlab" | "linkCache" | "links" | "log" | "mirrorCredentials" | "outbox" | "worker"
  >,
  req: CreateProjectRequest,
): Promise<CreateProjectResult> {
  if (req.sync === "push") return createPushProject(deps, req);
  // A Forge installation's only credential is its workspace-wide system token, which never goes to GitLab.
  if (req.clientKey.startsWith(FORGE_KEY_PREFIX)) {
    throw new AppError(
      "pull_mirror_unavailable",
      422,
      "The Forge edition cannot create a pull-mirror project: it has no repository-bound credentials to give GitLab. Choose push sync, or pick an existing project.",
    );
  }
  if (!req.repoFullName) {
    throw badRequest("Reload the settings page from Bitbucket: it did not say which repository this is");
  }
  const { gitlabUrl, api } = await openGitLab(deps, req.creds);
  const user = await checked(() => api.currentUser(), "token");
  const installation = await deps.findInstallation(req.clientKey);
  if (!installation) throw new AppError("unauthorized", 401, "The app is no longer installed in this workspace");

  let bitbucketToken: string;
  try {
    bitbucketToken = (await deps.mirrorCredentials.mint(installation, req.repoUuid)).token;
  } catch (e) {
    if (e instanceof WorkDeferred) {
      throw new AppError(
        "bitbucket_busy",
        503,
        `The app has used this workspace's Bitbucket call budget for now; try again in ${Math.ceil(e.waitMs / 1000)} s`,
      );
    }
    const reason = e instanceof PeerFailure || e instanceof WorkAbandoned ? e.message : "Bitbucket could not be reached";
    throw new AppError("bitbucket_token_failed", 422, `Bitbucket did not give the app an access token to clone with: ${reason}`);
  }

  let project: GitLabProjectDetails;
  try {
    project = await api.createProject({
      name: req.name,
      path: projectPath(req.name),
      namespace_id: req.namespaceId,
      import_url: withToken(cloneUrl(installation.webBaseUrl, req.repoFullName), bitbucketToken),
      mirror: true,
      mirror_trigger_builds: true,
      description: `CI/CD for ${req.repoFullName} on Bitbucket, pull-mirrored by GitLab CI for Bitbucket.`,
    });
  } catch (e) {
    throw creationError(e, user.username, bitbucketToken);
  }
  const mirror = project.mirror === true;
  deps.log.info(
    { clientKey: req.clientKey, repoUuid: req.repoUuid, projectId: project.id, mirror },
    "GitLab project created for the repository",
  );

  let linked: LinkResult;
  try {
    linked = await linkRepository(deps, {
      clientKey: req.clientKey,
      repoUuid: req.repoUuid,
      repoFullName: req.repoFullName,
      gitlabUrl,
      project: project.id,
      token: req.creds.token,
      statusMode: req.statusMode,
      user: req.user,
      tokenSource: req.creds.source,
      // Without Premium GitLab made no mirror, so there are no credentials to keep fresh: the app pushes instead.
      managesMirror: mirror,
      sync: mirror ? "mirror" : "push",
    });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    throw new AppError(
      e.code,
      e.status,
      `GitLab created ${project.path_with_namespace}, but linking it failed: ${e.message}`,
      e.details,
    );
  }
  if (!mirror) await queuePushSyncNow(deps, linked.link);
  return {
    ...linked,
    project: { id: project.id, path: project.path_with_namespace, webUrl: linked.link.projectWebUrl, mirror },
    ...(!mirror && {
      warning:
        `GitLab created ${project.path_with_namespace} but ignored the pull-mirror settings: pull mirroring needs GitLab ` +
        "Premium or Ultimate. It imported the repository once; the link uses push sync instead (the app pushes each change " +
        "itself), which needs a token that may push.",
    }),
  };
}

/**
 * A plain private project, linked with push sync: nothing is given to GitLab but the link's own token, so
 * this works on every tier and in both editions. The first sync is queued at once (it pushes every branch
 * and tag, each with its pipeline).
 */
async function createPushProject(
  deps: Pick<Deps, "audit" | "config" | "gitlab" | "linkCache" | "links" | "log" | "outbox" | "worker">,
  req: CreateProjectRequest,
): Promise<CreateProjectResult> {
  const { gitlabUrl, api } = await openGitLab(deps, req.creds);
  const user = await checked(() => api.currentUser(), "token");
  let project: GitLabProjectDetails;
  try {
    project = await api.createProject({
      name: req.name,
      path: projectPath(req.name),
      namespace_id: req.namespaceId,
      description: `CI/CD for ${req.repoFullName ?? "a Bitbucket repository"}, kept in sync by GitLab CI for Bitbucket (push sync).`,
    });
  } catch (e) {
    throw creationError(e, user.username, "");
  }
  deps.log.info(
    { clientKey: req.clientKey, repoUuid: req.repoUuid, projectId: project.id },
    "GitLab project created for push sync",
  );
  let linked: LinkResult;
  try {
    linked = await linkRepository(deps, {
      clientKey: req.clientKey,
      repoUuid: req.repoUuid,
      repoFullName: req.repoFullName,
      gitlabUrl,
      project: project.id,
      token: req.creds.token,
      statusMode: req.statusMode,
      user: req.user,
      tokenSource: req.creds.source,
      sync: "push",
    });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    throw new AppError(
      e.code,
      e.status,
      `GitLab created ${project.path_with_namespace}, but linking it failed: ${e.message}`,
      e.details,
    );
  }
  await queuePushSyncNow(deps, linked.link);
  return {
    ...linked,
    project: { id: project.id, path: project.path_with_namespace, webUrl: linked.link.projectWebUrl, mirror: false },
  };
}

/** A GitLab path from a project name: lower case, spaces and other characters as "-". */
export function projectPath(name: string): string {
  const path = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[-_.]+|[-_.]+$/g, "")
    .replace(/\.(git|atom)$/, "");
  return path || "project";
}

/** GitLab's refusal of the new project, in the settings API's words, without the token it was given. */
function creationError(e: unknown, username: string, token: string): AppError {
  const status = statusOf(e);
  const said = token
    ? gitlabMessage(e).split(token).join("[redacted]").split(encodeURIComponent(token)).join("[redacted]")
    : gitlabMessage(e);
  if (status === 401)
    return new AppError("gitlab_unauthorized", 422, "GitLab did not accept the token (expired, revoked or mistyped?)");
  if (status === 400 && /has already been taken/.test(said)) {
    const message = "A project with this name or path already exists in that namespace";
    return new AppError("gitlab_project_exists", 422, message, { fields: { projectName: message } });
  }
  if (status === 403 || status === 404 || (status === 400 && /namespace/i.test(said))) {
    const message = `GitLab does not let ${username} create projects in that namespace (it needs Developer or Maintainer there, depending on the group's settings)`;
    return new AppError("gitlab_namespace_refused", 422, message, { fields: { namespace: message } });
  }
  if (status === undefined) return new AppError("gitlab_unreachable", 422, `Could not reach GitLab: ${said}`);
  return new AppError("gitlab_project_refused", 422, `GitLab refused to create the project (${status}): ${said}`);
}

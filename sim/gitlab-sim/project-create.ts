import type { Request } from "express";
import { ApiError, bool, invalidParams, notFound, params, str } from "./api-helpers";
import { checkedUrl } from "./routes/mirror-routes";
import { topLevel } from "./routes/namespace-routes";
import type { SimState } from "./sim-state";
import { iso } from "./time";
import type { SimProject, SimUser } from "./types";

const DEVELOPER = 30;

/** Projects::CreateService's refusals render as 400 with the model's errors: `{"message": {field: [..]}}`. */
const invalid = (errors: Record<string, string[]>) => new ApiError(400, { message: errors });

/**
 * POST /projects as GitLab runs it for what the app sends: a project in a namespace the user may create
 * projects in (their own, or a group where they are Developer or more), optionally imported from
 * `import_url` and kept as a pull mirror (`mirror`, `mirror_trigger_builds`). Without Premium the mirror
 * fields are dropped silently. The first import clones at once, checking the URL's credentials the way
 * every mirror update does.
 */
export function createProject(state: SimState, req: Request, user: SimUser): SimProject {
  const p = params(req);
  const name = str(p.name);
  const path = str(p.path) ?? name?.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-");
  if (!name && !path) throw invalidParams("name, path are missing, at least one parameter must be provided");
  const namespaceId = p.namespace_id === undefined ? state.userNamespaceId(user) : Number(p.namespace_id);
  const { fullPath, premium, creatorLevel } = namespaceFor(state, namespaceId, user);
  const pathWithNamespace = `${fullPath}/${path}`;
  if (state.findProject(pathWithNamespace)) {
    throw invalid({ name: ["has already been taken"], path: ["has already been taken"] });
  }
  const importUrl = str(p.import_url);
  if (importUrl !== undefined) checkedUrl(importUrl);
  const wantsMirror = bool(p.mirror, "mirror") ?? false;
  const project: SimProject = {
    id: state.nextId("project"),
    pathWithNamespace,
    webUrl: `${state.baseUrl}/${pathWithNamespace}`,
    defaultBranch: "main",
    mirror: premium && wantsMirror && importUrl !== undefined,
    mirrorPaused: false,
    mirrorTriggerBuilds: premium && (bool(p.mirror_trigger_builds, "mirror_trigger_builds") ?? false),
    premium,
    importUrl,
    mirrorState: {
      updateStatus: "none",
      lastError: null,
      lastUpdateAt: null,
      lastUpdateStartedAt: null,
      lastSuccessfulUpdateAt: null,
    },
  };
  state.projects.set(project.id, project);
  state.addMember(project, user, creatorLevel);
  if (importUrl !== undefined) firstImport(state, project);
  return project;
}

/** PUT /projects/:id, for `import_url` (and `mirror`): how GitLabs before 17.6 change a mirror's source. */
export function updateProject(project: SimProject, req: Request): void {
  const p = params(req);
  const url = str(p.import_url);
  if (url !== undefined) project.importUrl = checkedUrl(url);
  const mirror = bool(p.mirror, "mirror");
  if (mirror !== undefined && project.premium) project.mirror = mirror;
}

function namespaceFor(state: SimState, id: number, user: SimUser) {
  if (id === state.userNamespaceId(user))
    return { fullPath: user.username, premium: state.personalPremium, creatorLevel: 50 as const };
  const group = state.groups.get(id);
  if (!group) {
    const someoneElse = [...state.users.values()].some((u) => state.userNamespaceId(u) === id);
    if (someoneElse) throw invalid({ namespace: ["is not valid"] });
    throw notFound("Namespace");
  }
  if (state.groupLevel(group.fullPath, user) < DEVELOPER) throw invalid({ namespace: ["is not valid"] });
  return { fullPath: group.fullPath, premium: topLevel(state, group).premium, creatorLevel: 40 as const };
}

function firstImport(state: SimState, project: SimProject): void {
  const problem = state.verifyMirrorCredentials?.(project.importUrl) ?? null;
  const now = iso(state.now());
  project.importStatus = problem ? "failed" : "finished";
  project.importError = problem;
  if (!project.mirror) return;
  const s = project.mirrorState;
  s.updateStatus = problem ? "failed" : "finished";
  s.lastError = problem;
  s.lastUpdateStartedAt = now;
  s.lastUpdateAt = now;
  if (!problem) s.lastSuccessfulUpdateAt = now;
}

import { Router } from "express";
import { ApiError, badRequest, bool, invalidParams, params, str, userProject } from "../api-helpers";
import * as entities from "../project-entities";
import type { PullMirrors } from "../pull-mirrors";
import type { SimState } from "../sim-state";
import type { SimProject } from "../types";

const MAINTAINER = 40;
const SETTINGS = [
  "enabled",
  "url",
  "auth_user",
  "auth_password",
  "mirror_trigger_builds",
  "only_mirror_protected_branches",
  "mirror_overwrites_diverged_branches",
  "mirror_branch_regex",
];

// EE's API::ProjectMirror. Without Premium `project.mirror?` is false whatever the column says, so
// an unlicensed project answers exactly like an unmirrored one: 400 "The project is not mirrored".
export function mirrorRoutes(state: SimState, mirrors: PullMirrors): Router {
  const router = Router();
  const mirrored = (p: SimProject) => p.mirror && p.premium;

  router.post("/projects/:id/mirror/pull", (req, res) => {
    const project = userProject(state, req, res, MAINTAINER);
    if (!mirrored(project)) throw badRequest("The project is not mirrored");
    if (project.mirrorPaused) throw new ApiError(403, { message: "Mirroring for the project is on pause" });
    mirrors.trigger(project);
    // The endpoint ends with `status 200`, whose value Grape renders as the body.
    res.status(200).json(200);
  });

  router.get("/projects/:id/mirror/pull", (req, res) => {
    const project = userProject(state, req, res, MAINTAINER);
    if (!mirrored(project)) throw badRequest("The project is not mirrored");
    res.json(entities.pullMirror(state, project));
  });

  // 17.6+ (experimental). Credentials are kept in the import URL, where tests can read them. A GitLab
  // before 17.6 has no such route: Grape answers an unknown route with 404 before anything else.
  router.put("/projects/:id/mirror/pull", (req, res) => {
    if (state.legacyMirrorApi) throw new ApiError(404, { error: "404 Not Found" });
    const project = userProject(state, req, res, MAINTAINER);
    const p = params(req);
    if (!SETTINGS.some((k) => p[k] !== undefined)) {
      throw invalidParams(`${SETTINGS.join(", ")} are missing, at least one parameter must be provided`);
    }
    const url = str(p.url);
    if (url !== undefined) project.importUrl = checkedUrl(url);
    const user = str(p.auth_user);
    const password = str(p.auth_password);
    if ((user !== undefined || password !== undefined) && project.importUrl) {
      const u = new URL(project.importUrl);
      if (user !== undefined) u.username = encodeURIComponent(user);
      if (password !== undefined) u.password = encodeURIComponent(password);
      project.importUrl = u.toString();
    }
    project.mirror = bool(p.enabled, "enabled") ?? project.mirror;
    project.mirrorTriggerBuilds = bool(p.mirror_trigger_builds, "mirror_trigger_builds") ?? project.mirrorTriggerBuilds;
    const settings = state.mirror(project);
    settings.onlyProtectedBranches =
      bool(p.only_mirror_protected_branches, "only_mirror_protected_branches") ?? settings.onlyProtectedBranches;
    settings.overwritesDivergedBranches =
      bool(p.mirror_overwrites_diverged_branches, "mirror_overwrites_diverged_branches") ?? settings.overwritesDivergedBranches;
    settings.branchRegex = str(p.mirror_branch_regex) ?? settings.branchRegex;
    res.json(entities.pullMirror(state, project));
  });

  return router;
}

export function checkedUrl(url: string): string {
  try {
    if (["http:", "https:", "ssh:", "git:"].includes(new URL(url).protocol)) return url;
  } catch {
    // fall through
  }
  throw badRequest("Url is blocked: Only allowed schemes are http, https, ssh, git");
}

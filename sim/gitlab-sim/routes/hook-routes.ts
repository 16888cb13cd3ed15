import { Router, type Request } from "express";
import { ApiError, bool, invalidParams, notFound, paginate, params, str, userProject } from "../api-helpers";
import * as entities from "../project-entities";
import type { SimState } from "../sim-state";
import type { SimHook, SimProject } from "../types";

const MAINTAINER = 40;
const OTHER_EVENTS = [
  "tag_push_events",
  "merge_requests_events",
  "repository_update_events",
  "issues_events",
  "confidential_issues_events",
  "note_events",
  "confidential_note_events",
  "wiki_page_events",
  "deployment_events",
  "feature_flag_events",
  "releases_events",
  "milestone_events",
  "emoji_events",
  "resource_access_token_events",
];

// Project hooks are a Maintainer's business (`admin_project`): anyone less gets 403.
export function hookRoutes(state: SimState): Router {
  const router = Router();

  router.get("/projects/:id/hooks", (req, res) => {
    const project = userProject(state, req, res, MAINTAINER);
    res.json(paginate(state, req, res, state.projectHooks(project)).map((h) => entities.hook(state, h)));
  });

  router.get("/projects/:id/hooks/:hook_id", (req, res) => {
    res.json(entities.hook(state, findHook(state, req, userProject(state, req, res, MAINTAINER))));
  });

  router.post("/projects/:id/hooks", (req, res) => {
    const project = userProject(state, req, res, MAINTAINER);
    const p = params(req);
    const url = str(p.url);
    if (!url) throw invalidParams("url is missing");
    const hook: SimHook = {
      id: state.nextId("hook"),
      projectId: project.id,
      url: validUrl(url),
      token: str(p.token) || undefined,
      // GitLab's defaults: push events on, everything else off, SSL verification on.
      pushEvents: bool(p.push_events, "push_events") ?? true,
      pipelineEvents: bool(p.pipeline_events, "pipeline_events") ?? false,
      jobEvents: bool(p.job_events, "job_events") ?? false,
      enableSslVerification: bool(p.enable_ssl_verification, "enable_ssl_verification") ?? true,
      failures: 0,
      createdAt: new Date(state.now()).toISOString(),
      otherEvents: otherEvents(p),
    };
    state.hooks.set(hook.id, hook);
    res.status(201).json(entities.hook(state, hook));
  });

  router.put("/projects/:id/hooks/:hook_id", (req, res) => {
    const hook = findHook(state, req, userProject(state, req, res, MAINTAINER));
    const p = params(req);
    const url = str(p.url);
    const token = str(p.token);
    // WebHook#reset_token: a new URL without a new token drops the old secret, so a secret meant
    // for one receiver never goes to another.
    if (url !== undefined && url !== hook.url) {
      hook.url = validUrl(url);
      if (token === undefined) hook.token = undefined;
    }
    if (token !== undefined) hook.token = token || undefined;
    hook.pushEvents = bool(p.push_events, "push_events") ?? hook.pushEvents;
    hook.pipelineEvents = bool(p.pipeline_events, "pipeline_events") ?? hook.pipelineEvents;
    hook.jobEvents = bool(p.job_events, "job_events") ?? hook.jobEvents;
    hook.enableSslVerification = bool(p.enable_ssl_verification, "enable_ssl_verification") ?? hook.enableSslVerification;
    Object.assign(hook.otherEvents, otherEvents(p));
    res.json(entities.hook(state, hook));
  });

  router.delete("/projects/:id/hooks/:hook_id", (req, res) => {
    const hook = findHook(state, req, userProject(state, req, res, MAINTAINER));
    state.hooks.delete(hook.id);
    res.status(204).end();
  });

  return router;
}

function findHook(state: SimState, req: Request, project: SimProject): SimHook {
  const hook = state.hooks.get(Number(req.params.hook_id));
  if (!hook || hook.projectId !== project.id) throw notFound();
  return hook;
}

function validUrl(url: string): string {
  try {
    if (["http:", "https:"].includes(new URL(url).protocol)) return url;
  } catch {
    // fall through
  }
  throw new ApiError(422, { message: "Invalid url given" });
}

function otherEvents(p: Record<string, unknown>): Record<string, boolean> {
  const events: Record<string, boolean> = {};
  for (const name of OTHER_EVENTS) {
    const value = bool(p[name], name);
    if (value !== undefined) events[name] = value;
  }
  return events;
}

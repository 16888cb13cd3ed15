import { Router } from "express";
import { createProject, updateProject } from "../project-create";
import { currentUser, notFound, paginate, userProject } from "../api-helpers";
import * as entities from "../project-entities";
import type { SimState } from "../sim-state";

// GUEST 10, REPORTER 20, DEVELOPER 30, MAINTAINER 40, OWNER 50. All simulated projects are private,
// so only members see them.
export function projectRoutes(state: SimState): Router {
  const router = Router();

  router.get("/user", (_req, res) => {
    res.json(entities.currentUser(state, currentUser(res)));
  });

  // For the project picker: the projects the user is a member of, filtered like GitLab's
  // `search` (name or path; with search_namespaces=true the full path) and `min_access_level`.
  router.get("/projects", (req, res) => {
    const user = currentUser(res);
    const search = typeof req.query.search === "string" ? req.query.search.toLowerCase() : "";
    const withNamespaces = req.query.search_namespaces === "true";
    const minLevel = Number(req.query.min_access_level) || 1;
    const found = [...state.projects.values()]
      .filter((p) => state.accessLevel(p, user) >= minLevel)
      .filter((p) => {
        const name = p.pathWithNamespace.split("/").pop()!.toLowerCase();
        return !search || name.includes(search) || (withNamespaces && p.pathWithNamespace.toLowerCase().includes(search));
      })
      .sort((a, b) => b.id - a.id);
    const simple = req.query.simple === "true";
    res.json(paginate(state, req, res, found).map((p) => entities.project(state, p, user, !simple)));
  });

  router.get("/projects/:id", (req, res) => {
    const project = userProject(state, req, res, 10);
    res.json(entities.project(state, project, currentUser(res)));
  });

  router.post("/projects", (req, res) => {
    const project = createProject(state, req, currentUser(res));
    res.status(201).json(entities.project(state, project, currentUser(res)));
  });

  // Only what the app uses: import_url (the pull mirror's source on GitLabs before 17.6).
  router.put("/projects/:id", (req, res) => {
    const project = userProject(state, req, res, 40);
    updateProject(project, req);
    res.json(entities.project(state, project, currentUser(res)));
  });

  // /members/:user_id lists direct members, /members/all/:user_id inherited ones too; the simulator
  // has no groups, so both answer the same.
  router.get(["/projects/:id/members/all/:user_id", "/projects/:id/members/:user_id"], (req, res) => {
    const project = userProject(state, req, res, 10);
    const user = state.users.get(Number(req.params.user_id));
    const membership = user && state.membership(project, user);
    if (!user || !membership) throw notFound();
    res.json(entities.member(state, user, membership.level, membership.createdAt));
  });

  return router;
}

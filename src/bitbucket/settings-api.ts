import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { notFound } from "../errors";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { createMirrorProject } from "../links/create-project";
import { checkGitLabUrl } from "../links/gitlab-url";
import { linkRepository, unlinkRepository } from "../links/link-repository";
import { checkToken, resolveCredentials, type CredentialsInput } from "../links/gitlab-session";
import { resendFailed } from "../links/failed-deliveries";
import { linkHealth, recheckLink } from "../links/link-health";
import { linkView } from "../links/link-view";
import { listNamespaces } from "../links/namespace-picker";
import { findProjects, inspectProject } from "../links/project-picker";
import { defaultsView } from "../links/workspace-defaults";
import { settingsAuth } from "./settings-auth";
import { asId, gitlabProject, gitlabToken, gitlabUrl, projectName, statusMode } from "./settings-fields";
import { workspaceApiRouter } from "./workspace-api";

// `token` (with `gitlabUrl`) may be left out when the workspace has a default token: the repository then
// uses the workspace's, and only with the workspace's GitLab address. The original body stays valid.
const creds = { gitlabUrl: gitlabUrl.optional(), token: gitlabToken.optional() };
const linkBody = z.object({ ...creds, project: gitlabProject, statusMode }).strict();
// The token travels in the body, never in a URL, so it stays out of access logs and browser history.
const checkBody = z.object(creds).strict();
const searchBody = z.object({ ...creds, search: z.string().trim().max(100).default("") }).strict();
const projectBody = z.object({ ...creds, project: gitlabProject }).strict();
const createBody = z
  .object({
    ...creds,
    namespaceId: z.number({ error: "Pick a namespace" }).int().positive("Pick a namespace"),
    projectName,
    statusMode,
  })
  .strict();

/**
 * The settings page's JSON API under /api/repositories/{repoUuid}: GET/PUT/DELETE link (the contract),
 * the project picker's GitLab look-ups (gitlab/check, gitlab/projects, gitlab/project), creating the
 * GitLab project (gitlab/namespaces, POST project), the workspace's defaults as this repository sees
 * them (GET workspace-defaults), and the link's health (GET health, POST recheck, POST failed/{id}/resend).
 * The workspace settings API (/api/workspace) is mounted here too.
 */
export function settingsApiRouter(deps: Deps) {
  const router = express.Router();
  const path = "/api/repositories/:repoUuid/link";
  const auth = settingsAuth(deps);
  const resolve = (req: Request, input: CredentialsInput) => resolveCredentials(deps, req.grant!.clientKey, input);

  router.get(
    path,
    auth,
    handle(async (req: Request, res: Response) => {
      res.json({ link: linkView(await linked(deps, req)) });
    }),
  );

  router.put(
    path,
    express.json({ limit: "16kb" }),
    auth,
    handle(async (req: Request, res: Response) => {
      const body = validate(linkBody, req.body);
      const credentials = await resolve(req, body);
      const gitlabUrl = await checkGitLabUrl(credentials.gitlabUrl, {
        allowPrivate: deps.config.allowPrivateHosts,
        allowedHosts: deps.config.gitlabAllowedHosts,
        requireHttps: deps.config.env === "production",
      });
      const project = asId(body.project);
      const result = await linkRepository(deps, {
        clientKey: req.grant!.clientKey,
        repoUuid: req.grant!.repoUuid,
        repoFullName: req.grant!.repoPath,
        gitlabUrl,
        project,
        token: credentials.token,
        statusMode: body.statusMode,
        user: req.grant!.user,
        tokenSource: credentials.source,
      });
      res.json({ link: linkView(result.link), webhook: result.webhook });
    }),
  );

  router.delete(
    path,
    auth,
    handle(async (req: Request, res: Response) => {
      await unlinkRepository(deps, req.grant!.clientKey, req.grant!.repoUuid, req.grant!.user || null);
      res.status(204).end();
    }),
  );

  const json = express.json({ limit: "16kb" });
  const base = "/api/repositories/:repoUuid";
  router.get(
    `${base}/workspace-defaults`,
    auth,
    handle(async (req, res) => {
      const d = await deps.workspaceDefaults.get(req.grant!.clientKey);
      if (!d) return void res.json({ defaults: null });
      const { gitlabUrl, tokenHint, tokenOwner } = defaultsView(d);
      res.json({ defaults: { gitlabUrl, tokenHint, tokenOwner } });
    }),
  );
  router.post(
    `${base}/gitlab/check`,
    json,
    auth,
    handle(async (req, res) => {
      const credentials = await resolve(req, validate(checkBody, req.body));
      res.json({ ...(await checkToken(deps, credentials)), tokenSource: credentials.source });
    }),
  );
  router.post(
    `${base}/gitlab/projects`,
    json,
    auth,
    handle(async (req, res) => {
      const { search, ...input } = validate(searchBody, req.body);
      res.json(await findProjects(deps, await resolve(req, input), search));
    }),
  );
  router.post(
    `${base}/gitlab/project`,
    json,
    auth,
    handle(async (req, res) => {
      const { project, ...input } = validate(projectBody, req.body);
      res.json(await inspectProject(deps, await resolve(req, input), asId(project)));
    }),
  );
  router.post(
    `${base}/gitlab/namespaces`,
    json,
    auth,
    handle(async (req, res) => {
      const { search, ...input } = validate(searchBody, req.body);
      res.json(await listNamespaces(deps, await resolve(req, input), search));
    }),
  );
  router.post(
    `${base}/project`,
    json,
    auth,
    handle(async (req, res) => {
      const { namespaceId, projectName: name, statusMode: mode, ...input } = validate(createBody, req.body);
      const grant = req.grant!;
      const result = await createMirrorProject(deps, {
        clientKey: grant.clientKey,
        repoUuid: grant.repoUuid,
        repoFullName: grant.repoPath,
        creds: await resolve(req, input),
        namespaceId,
        name,
        statusMode: mode,
        user: grant.user,
      });
      res.status(201).json({
        link: linkView(result.link),
        webhook: result.webhook,
        project: result.project,
        ...(result.warning && { warning: result.warning }),
      });
    }),
  );
  router.get(
    `${base}/health`,
    auth,
    handle(async (req, res) => {
      res.json({ health: await linkHealth(deps, await linked(deps, req)) });
    }),
  );
  router.post(
    `${base}/recheck`,
    auth,
    handle(async (req, res) => {
      const link = await linked(deps, req);
      const health = await recheckLink(deps, link);
      res.json({ link: linkView((await deps.links.byId(link.id)) ?? link), health });
    }),
  );

  router.post(
    `${base}/failed/:id/resend`,
    auth,
    handle(async (req, res) => {
      const id = validate(z.coerce.number().int().positive(), req.params.id, "No such failed delivery");
      res.json({ resent: await resendFailed(deps, await linked(deps, req), id) });
    }),
  );

  router.use(workspaceApiRouter(deps));
  return router;
}

async function linked(deps: Deps, req: Request) {
  const link = await deps.links.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
  if (!link) throw notFound("not_linked", "This repository is not linked to a GitLab project yet");
  return link;
}

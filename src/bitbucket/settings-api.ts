import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { notFound } from "../errors";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { checkGitLabUrl } from "../links/gitlab-url";
import { linkRepository, unlinkRepository } from "../links/link-repository";
import { checkToken } from "../links/gitlab-session";
import { resendFailed } from "../links/failed-deliveries";
import { linkHealth, recheckLink } from "../links/link-health";
import { linkView } from "../links/link-view";
import { findProjects, inspectProject } from "../links/project-picker";
import { settingsAuth } from "./settings-auth";

const gitlabUrl = z.string().trim().min(1, "Enter the GitLab address").max(255);
const token = z
  .string()
  .trim()
  .min(8, "Paste a GitLab access token")
  .max(255)
  .regex(/^[\x21-\x7e]+$/, "The token has characters GitLab tokens never have");
const project = z.union([
  z.number().int().positive(),
  z
    .string()
    .trim()
    .min(1, "Pick a project")
    .max(255)
    .regex(/^[\w.-]+(\/[\w.-]+)*$/, "Use the project's path (group/project) or its numeric id"),
]);
const linkBody = z
  .object({ gitlabUrl, project, token, statusMode: z.enum(["pipeline", "jobs", "both"]).default("pipeline") })
  .strict();
// The token travels in the body, never in a URL, so it stays out of access logs and browser history.
const checkBody = z.object({ gitlabUrl, token }).strict();
const searchBody = z.object({ gitlabUrl, token, search: z.string().trim().max(100).default("") }).strict();
const projectBody = z.object({ gitlabUrl, token, project }).strict();

const asId = (p: string | number) => (typeof p === "string" && /^\d+$/.test(p) ? Number(p) : p);

/**
 * The settings page's JSON API under /api/repositories/{repoUuid}: GET/PUT/DELETE link (the contract),
 * the project picker's GitLab look-ups (gitlab/check, gitlab/projects, gitlab/project), and the link's
 * health (GET health, POST recheck, POST failed/{id}/resend).
 */
export function settingsApiRouter(deps: Deps) {
  const router = express.Router();
  const path = "/api/repositories/:repoUuid/link";
  const auth = settingsAuth(deps);

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
      const gitlabUrl = await checkGitLabUrl(body.gitlabUrl, {
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
        token: body.token,
        statusMode: body.statusMode,
        user: req.grant!.user,
      });
      res.json({ link: linkView(result.link), webhook: result.webhook });
    }),
  );

  router.delete(
    path,
    auth,
    handle(async (req: Request, res: Response) => {
      await unlinkRepository(deps, req.grant!.clientKey, req.grant!.repoUuid);
      res.status(204).end();
    }),
  );

  const json = express.json({ limit: "16kb" });
  const base = "/api/repositories/:repoUuid";
  router.post(
    `${base}/gitlab/check`,
    json,
    auth,
    handle(async (req, res) => {
      res.json(await checkToken(deps, validate(checkBody, req.body)));
    }),
  );
  router.post(
    `${base}/gitlab/projects`,
    json,
    auth,
    handle(async (req, res) => {
      const { search, ...creds } = validate(searchBody, req.body);
      res.json(await findProjects(deps, creds, search));
    }),
  );
  router.post(
    `${base}/gitlab/project`,
    json,
    auth,
    handle(async (req, res) => {
      const { project, ...creds } = validate(projectBody, req.body);
      res.json(await inspectProject(deps, creds, asId(project)));
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

  return router;
}

async function linked(deps: Deps, req: Request) {
  const link = await deps.links.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
  if (!link) throw notFound("not_linked", "This repository is not linked to a GitLab project yet");
  return link;
}

import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { notFound } from "../errors";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { checkGitLabUrl } from "../links/gitlab-url";
import { linkRepository, unlinkRepository } from "../links/link-repository";
import { linkView } from "../links/link-view";
import { settingsAuth } from "./settings-auth";

const linkBody = z
  .object({
    gitlabUrl: z.string().trim().min(1, "Enter the GitLab address").max(255),
    project: z.union([
      z.number().int().positive(),
      z
        .string()
        .trim()
        .min(1, "Enter the project path or id")
        .max(255)
        .regex(/^[\w.-]+(\/[\w.-]+)*$/, "Use the project's path (group/project) or its numeric id"),
    ]),
    token: z
      .string()
      .trim()
      .min(8, "Paste a GitLab access token")
      .max(255)
      .regex(/^[\x21-\x7e]+$/, "The token has characters GitLab tokens never have"),
    statusMode: z.enum(["pipeline", "jobs", "both"]).default("pipeline"),
  })
  .strict();

/** GET/PUT/DELETE /api/repositories/{repoUuid}/link: the settings page's JSON API. */
export function settingsApiRouter(deps: Deps) {
  const router = express.Router();
  const path = "/api/repositories/:repoUuid/link";
  const auth = settingsAuth(deps);

  router.get(
    path,
    auth,
    handle(async (req: Request, res: Response) => {
      const link = await deps.links.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
      if (!link) throw notFound("not_linked", "This repository is not linked to a GitLab project yet");
      res.json({ link: linkView(link) });
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
      const project = typeof body.project === "string" && /^\d+$/.test(body.project) ? Number(body.project) : body.project;
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

  return router;
}

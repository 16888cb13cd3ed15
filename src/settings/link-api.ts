import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { notFound } from "../errors";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { checkGitLabUrl } from "../links/gitlab-url";
import { resolveCredentials } from "../links/gitlab-session";
import { linkRepository, unlinkRepository } from "../links/link-repository";
import { lastHeardAt } from "../links/last-heard";
import { linkView } from "../links/link-view";
import { repositoryUrl } from "../links/mirror-source";
import { defaultsView } from "../links/workspace-defaults";
import type { SettingsDoor } from "./grant";
import { asId, gitlabProject, gitlabToken, gitlabUrl, statusMode } from "./settings-fields";

// `token` (with `gitlabUrl`) may be left out when the workspace has a default token: the repository then
// uses the workspace's, and only with the workspace's GitLab address. The original body stays valid.
const linkBody = z
  .object({
    gitlabUrl: gitlabUrl.optional(),
    token: gitlabToken.optional(),
    project: gitlabProject,
    statusMode,
    reports: z.boolean().optional(),
    // Merge-result pipelines for pull requests (push sync), and whether forks of this workspace get them.
    pullRequestPipelines: z.boolean().optional(),
    pullRequestForks: z.boolean().optional(),
    // "push": the app pushes Bitbucket's refs to GitLab; "mirror": GitLab's pull mirror does. Optional.
    sync: z.enum(["push", "mirror"]).optional(),
    // The admin confirmed linking a project whose pull mirror pulls another repository.
    acceptMirrorSource: z.boolean().optional(),
  })
  .strict();

/**
 * The link itself, under {prefix}/repositories/{repoUuid} (the external contract):
 * GET/PUT/DELETE link, and GET workspace-defaults (the workspace's defaults as this repository sees them).
 * GET link-state is the settings page's own read: 200 {"link": view | null}. An unlinked repository is a
 * normal state, and a 404 from GET link (which the contract keeps) makes browsers log a console error.
 */
export function linkApiRouter(deps: Deps, door: SettingsDoor) {
  const router = express.Router();
  const path = `${door.prefix}/repositories/:repoUuid/link`;
  const auth = door.repositoryAuth;

  router.get(
    path,
    auth,
    handle(async (req: Request, res: Response) => {
      const link = await linkedRepository(deps, req);
      res.json({ link: linkView(link, await lastHeardAt(deps.events, link)) });
    }),
  );

  router.get(
    `${door.prefix}/repositories/:repoUuid/link-state`,
    auth,
    handle(async (req: Request, res: Response) => {
      const link = await deps.links.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
      res.json({ link: link && linkView(link, await lastHeardAt(deps.events, link)) });
    }),
  );

  router.put(
    path,
    // Who is asking first: no body is parsed for a caller without a valid token.
    auth,
    express.json({ limit: "16kb" }),
    handle(async (req: Request, res: Response) => {
      const body = validate(linkBody, req.body);
      const grant = req.grant!;
      const credentials = await resolveCredentials(deps, grant.clientKey, body);
      const gitlabUrl = await checkGitLabUrl(credentials.gitlabUrl, {
        allowPrivate: deps.config.allowPrivateHosts,
        allowedHosts: deps.config.gitlabAllowedHosts,
        requireHttps: deps.config.env === "production",
      });
      const result = await linkRepository(deps, {
        clientKey: grant.clientKey,
        repoUuid: grant.repoUuid,
        repoFullName: grant.repoPath,
        gitlabUrl,
        project: asId(body.project),
        token: credentials.token,
        statusMode: body.statusMode,
        reports: body.reports,
        pullRequestPipelines: body.pullRequestPipelines,
        pullRequestForks: body.pullRequestForks,
        user: grant.user,
        tokenSource: credentials.source,
        sync: body.sync,
        repositoryUrl: await repositoryUrl(deps, grant.clientKey, grant.repoPath),
        acceptMirrorSource: body.acceptMirrorSource,
      });
      res.json({ link: linkView(result.link), webhook: result.webhook, ...(result.warning && { warning: result.warning }) });
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

  router.get(
    `${door.prefix}/repositories/:repoUuid/workspace-defaults`,
    auth,
    handle(async (req, res) => {
      const d = await deps.workspaceDefaults.get(req.grant!.clientKey);
      if (!d) return void res.json({ defaults: null });
      const { gitlabUrl, tokenHint, tokenOwner } = defaultsView(d);
      res.json({ defaults: { gitlabUrl, tokenHint, tokenOwner } });
    }),
  );

  return router;
}

/** The link of the repository the grant names, or the contract's 404 `not_linked`. */
export async function linkedRepository(deps: Pick<Deps, "links">, req: Request) {
  const link = await deps.links.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
  if (!link) throw notFound("not_linked", "This repository is not linked to a GitLab project yet");
  return link;
}

import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import { z } from "zod";
import type { Deps } from "../deps";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import type { Addon } from "./addon";
import { connectAuth } from "./connect-auth";
import { issueSettingsToken, issueWorkspaceToken } from "./settings-token";

const pageQuery = z
  .object({
    repoUuid: z.string().regex(/^\{[0-9a-f-]{36}\}$/i, "repoUuid must be a repository uuid in braces"),
    repoPath: z.string().max(255).optional(),
  })
  .passthrough();

/**
 * The settings pages, framed by Bitbucket. The page JWT (verified by ACE, qsh included) proves which
 * tenant (and, for a repository's page, which repository) it was opened for; we hand the page a token of
 * ours bound to exactly that. Only Bitbucket may frame them, and they run no inline script.
 * - /settings/repository: Repository settings › GitLab CI (org.bitbucket.repository.admin).
 * - /settings/workspace: Workspace settings › GitLab CI (org.bitbucket.account.admin), the workspace's
 *   default GitLab address and token. Bitbucket shows that location to workspace admins only.
 */
export function settingsPageRouter(deps: Deps, addon: Addon) {
  const router = express.Router();
  const headers = pageHeaders(deps);

  router.get(
    "/settings/repository",
    connectAuth(addon),
    headers,
    handle(async (req: Request, res: Response) => {
      const query = validate(pageQuery, req.query, "The settings page needs a repository");
      const context = req.context!;
      const token = issueSettingsToken(deps.box.derive("settings-token"), {
        clientKey: context.clientKey,
        repoUuid: query.repoUuid,
        repoPath: query.repoPath ?? null,
        user: context.userAccountId ?? "",
      });
      res.render("repository-settings", {
        title: "GitLab CI",
        token,
        repoUuid: query.repoUuid,
        repoPath: query.repoPath ?? query.repoUuid,
        repoSlug: (query.repoPath ?? "").split("/").pop() ?? "",
        allJs: allJs(context.hostBaseUrl),
      });
    }),
  );

  router.get(
    "/settings/workspace",
    connectAuth(addon),
    headers,
    handle(async (req: Request, res: Response) => {
      const context = req.context!;
      const tenant = await deps.tenants.get(context.clientKey);
      const token = issueWorkspaceToken(deps.box.derive("settings-token"), {
        clientKey: context.clientKey,
        user: context.userAccountId ?? "",
      });
      res.render("workspace-settings", {
        title: "GitLab CI",
        token,
        workspaceName: tenant?.workspaceName ?? "this workspace",
        allJs: allJs(context.hostBaseUrl),
      });
    }),
  );
  return router;
}

const allJs = (hostBaseUrl?: string) => (hostBaseUrl ? `${new URL(hostBaseUrl).origin}/atlassian-connect/all.js` : null);

/** CSP for a framed page: scripts from us and Bitbucket (all.js), framed by Bitbucket only. */
function pageHeaders(deps: Pick<Deps, "config">) {
  return (req: Request, res: Response, next: NextFunction) => {
    const host = req.context?.hostBaseUrl ? new URL(req.context.hostBaseUrl).origin : "";
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", ...(host ? [host] : [])],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          connectSrc: ["'self'"],
          frameAncestors: [...deps.config.frameAncestors, ...(host ? [host] : [])],
          formAction: ["'self'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      // Framing is governed by CSP frame-ancestors; X-Frame-Options cannot name Bitbucket's origin.
      xFrameOptions: false,
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: "no-referrer" },
    })(req, res, next);
  };
}

import express, { type Request, type Response } from "express";
import helmet from "helmet";
import { z } from "zod";
import type { Deps } from "../deps";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import type { Addon } from "./addon";
import { connectAuth } from "./connect-auth";
import { issueSettingsToken } from "./settings-token";

const pageQuery = z
  .object({
    repoUuid: z.string().regex(/^\{[0-9a-f-]{36}\}$/i, "repoUuid must be a repository uuid in braces"),
    repoPath: z.string().max(255).optional(),
  })
  .passthrough();

/**
 * The repository settings page, framed by Bitbucket. The page JWT (verified by ACE, qsh included) proves
 * which tenant and repository it was opened for; we hand the page a token of ours bound to exactly that.
 * Only Bitbucket may frame it, and it runs no inline script.
 */
export function settingsPageRouter(deps: Deps, addon: Addon) {
  const router = express.Router();
  router.get(
    "/settings/repository",
    connectAuth(addon),
    (req, res, next) => {
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
    },
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
        allJs: context.hostBaseUrl ? `${new URL(context.hostBaseUrl).origin}/atlassian-connect/all.js` : null,
      });
    }),
  );
  return router;
}

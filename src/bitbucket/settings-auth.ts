import type { NextFunction, Request, Response } from "express";
import type { Deps } from "../deps";
import { forbidden, unauthorized } from "../errors";
import { handle } from "../http/handle";
import { verifySettingsToken, type SettingsGrant } from "./settings-token";

declare module "express-serve-static-core" {
  interface Request {
    grant?: SettingsGrant;
  }
}

/**
 * The JSON API's wall: a settings token (from the page Bitbucket framed) for this very repository of a
 * still-installed tenant. It must come in the Authorization header, which a cross-site form or image
 * cannot set, and we send no CORS headers, so other sites cannot use a token they do not have.
 */
export const settingsAuth = (deps: Deps) =>
  handle(async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const grant = header?.startsWith("JWT ") ? verifySettingsToken(deps.box.derive("settings-token"), header.slice(4)) : null;
    if (!grant) throw unauthorized("Missing, invalid or expired token; reload the settings page");
    if (!(await deps.tenants.get(grant.clientKey))) throw unauthorized("The app is no longer installed in this workspace");
    if (req.params.repoUuid !== grant.repoUuid) throw forbidden("This token is for another repository");
    req.grant = grant;
    next();
  });

import type { NextFunction, Request, Response } from "express";
import type { Deps } from "../deps";
import { forbidden, unauthorized } from "../errors";
import { handle } from "../http/handle";
import "../settings/grant";
import { settingsScopeOf, verifySettingsToken, verifyWorkspaceToken } from "./settings-token";

const KEY = "settings-token";

/**
 * The JSON API's wall: a settings token (from the page Bitbucket framed) for this very repository of a
 * still-installed tenant. It must come in the Authorization header, which a cross-site form or image
 * cannot set, and we send no CORS headers, so other sites cannot use a token they do not have. A
 * workspace settings token names no repository and never passes here.
 */
export const settingsAuth = (deps: Pick<Deps, "box" | "tenants">) =>
  handle(async (req: Request, _res: Response, next: NextFunction) => {
    const token = bearer(req);
    const key = deps.box.derive(KEY);
    const grant = token ? verifySettingsToken(key, token) : null;
    if (!grant) {
      if (token && settingsScopeOf(key, token) === "workspace")
        throw forbidden("This token is for the workspace settings, not a repository's");
      throw unauthorized("Missing, invalid or expired token; reload the settings page");
    }
    if (!(await deps.tenants.get(grant.clientKey))) throw unauthorized("The app is no longer installed in this workspace");
    if (req.params.repoUuid !== grant.repoUuid) throw forbidden("This token is for another repository");
    req.grant = grant;
    next();
  });

/**
 * The workspace settings API's wall: a token from the workspace settings page (which Bitbucket shows to
 * workspace admins only) for a still-installed tenant. A repository's token never passes here.
 */
export const workspaceAuth = (deps: Pick<Deps, "box" | "tenants">) =>
  handle(async (req: Request, _res: Response, next: NextFunction) => {
    const token = bearer(req);
    const key = deps.box.derive(KEY);
    const grant = token ? verifyWorkspaceToken(key, token) : null;
    if (!grant) {
      if (token && settingsScopeOf(key, token) === "repository")
        throw forbidden("This token is for one repository's settings, not the workspace's");
      throw unauthorized("Missing, invalid or expired token; reload the workspace settings page");
    }
    if (!(await deps.tenants.get(grant.clientKey))) throw unauthorized("The app is no longer installed in this workspace");
    req.workspaceGrant = grant;
    next();
  });

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith("JWT ") ? header.slice(4) : undefined;
}

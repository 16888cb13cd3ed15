import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { saveWorkspaceDefaults, workspaceDefaults } from "../links/workspace-defaults";
import { workspaceRepositories } from "../links/workspace-repositories";
import { saveWorkspaceSettings, workspaceSettingsView } from "../links/workspace-settings";
import { gitlabUrl, gitlabToken } from "./settings-fields";
import type { SettingsDoor } from "./grant";

const defaultsBody = z.object({ gitlabUrl, token: gitlabToken }).strict();
// null: any GitLab host. Entries are checked one by one in saveWorkspaceSettings (clear messages).
const settingsBody = z.object({ allowedGitLabHosts: z.array(z.string().max(300)).max(200).nullable() }).strict();

/**
 * The workspace settings page's JSON API, under {prefix}/workspace, with the workspace page's token:
 * - GET    /api/workspace/defaults → 200 {"defaults": view | null}
 * - PUT    /api/workspace/defaults {gitlabUrl, token} → checks the token with GitLab, stores it sealed;
 *          200 {"defaults": view, "token": {scopes, expiresAt}, "repositoriesUpdated": n}
 * - DELETE /api/workspace/defaults → 204
 * - GET    /api/workspace/settings → 200 {"settings": {allowedGitLabHosts: [..] | null, updatedBy, updatedAt},
 *          "linksOutsideHosts": [{repoUuid, repoFullName, gitlabUrl}]}
 * - PUT    /api/workspace/settings {allowedGitLabHosts: [..] | null} → the same answer
 * - GET    /api/workspace/repositories → 200 {"repositories": [{repoUuid, repoFullName, gitlabUrl,
 *          projectPath, sync, tokenSource, state, summary, settingsUrl}]}
 * The view never holds the token: `gitlabUrl, tokenHint, tokenOwner {username, name}, createdAt,
 * updatedAt, repositoriesUsingToken`.
 */
export function workspaceApiRouter(deps: Deps, door: SettingsDoor) {
  const router = express.Router();
  const path = `${door.prefix}/workspace/defaults`;
  const auth = door.workspaceAuth;

  router.get(
    path,
    auth,
    handle(async (req: Request, res: Response) => {
      res.json(await workspaceDefaults(deps, req.workspaceGrant!.clientKey));
    }),
  );

  router.put(
    path,
    // Who is asking first: no body is parsed for a caller without a valid token.
    auth,
    express.json({ limit: "16kb" }),
    handle(async (req: Request, res: Response) => {
      const body = validate(defaultsBody, req.body);
      const grant = req.workspaceGrant!;
      res.json(await saveWorkspaceDefaults(deps, { clientKey: grant.clientKey, user: grant.user, ...body }));
    }),
  );

  router.delete(
    path,
    auth,
    handle(async (req: Request, res: Response) => {
      const clientKey = req.workspaceGrant!.clientKey;
      // Repositories linked with the workspace's token keep the copy they hold until linked again.
      if (await deps.workspaceDefaults.remove(clientKey)) deps.log.info({ clientKey }, "workspace defaults removed");
      res.status(204).end();
    }),
  );

  router.get(
    `${door.prefix}/workspace/settings`,
    auth,
    handle(async (req: Request, res: Response) => {
      res.json(await workspaceSettingsView(deps, req.workspaceGrant!.clientKey));
    }),
  );

  router.put(
    `${door.prefix}/workspace/settings`,
    // Who is asking first: no body is parsed for a caller without a valid token.
    auth,
    express.json({ limit: "16kb" }),
    handle(async (req: Request, res: Response) => {
      const body = validate(settingsBody, req.body);
      const grant = req.workspaceGrant!;
      res.json(await saveWorkspaceSettings(deps, { clientKey: grant.clientKey, user: grant.user, ...body }));
    }),
  );

  router.get(
    `${door.prefix}/workspace/repositories`,
    auth,
    handle(async (req: Request, res: Response) => {
      res.json(await workspaceRepositories(deps, req.workspaceGrant!.clientKey));
    }),
  );

  return router;
}

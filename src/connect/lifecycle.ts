import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { AppError, badRequest } from "../errors";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import type { Addon } from "./addon";
import { verifyConnectRequest } from "./connect-auth";
import { requestJwt } from "./connect-token";
import { eraseTenant } from "./erase-tenant";
import { FORGE_KEY_PREFIX } from "../installations/installation";
import { allowedHosts } from "./host-allowlist";
import { proveInstall } from "./prove-install";

const bracedUuid = z.string().regex(/^\{[0-9a-f-]{36}\}$/i);
// `forge:` keys name Forge installations' rows (migration 0007): a Connect install may not claim one.
const clientKey = z
  .string()
  .min(1)
  .max(255)
  .refine((k) => !k.startsWith(FORGE_KEY_PREFIX), "must not start with forge:");

const installed = z.object({
  key: z.string().min(1).max(64),
  clientKey,
  sharedSecret: z.string().min(16).max(128),
  baseUrl: z.string().url(),
  baseApiUrl: z.string().url(),
  productType: z.literal("bitbucket"),
  principal: z.object({ uuid: bracedUuid, display_name: z.string().max(255).optional() }).passthrough(),
});

const uninstalled = z.object({ key: z.string().min(1).max(64), clientKey });

/**
 * POST /installed and /uninstalled. An install is trusted when it is signed with the secret we already
 * hold (a re-install), or when Bitbucket itself vouches for its new (clientKey, sharedSecret) pair (see
 * proveInstall): a first install arrives unsigned and its clientKey is guessable, so without the proof a
 * third party could install first with its own secret and lock the workspace out, or fill the table with
 * fake tenants. A proven unsigned install replaces whatever the clientKey held (the genuine Bitbucket
 * wins over a squatter). An uninstall, which erases everything the tenant had with us, must be signed.
 */
export function lifecycleRouter(deps: Deps, addon: Addon) {
  const router = express.Router();
  router.use(["/installed", "/uninstalled"], express.json({ limit: "64kb" }));
  const hosts = allowedHosts(deps.config.hostWhitelist);
  const production = deps.config.env === "production";

  router.post(
    "/installed",
    handle(async (req: Request, res: Response) => {
      const body = validate(installed, req.body, "The install payload is not valid");
      if (body.key !== deps.config.appKey) throw badRequest(`This is the ${deps.config.appKey} app, not ${body.key}`);
      const baseUrl = new URL(body.baseUrl);
      const baseApiUrl = new URL(body.baseApiUrl);
      if (
        !hosts.baseUrl(baseUrl) ||
        !hosts.baseApiUrl(baseApiUrl) ||
        (production && (baseUrl.protocol !== "https:" || baseApiUrl.protocol !== "https:"))
      ) {
        throw new AppError("host_not_allowed", 403, "This Bitbucket host may not install the app");
      }
      const existing = await deps.tenants.tenants.find(body.clientKey);
      const signed = existing && requestJwt(req) ? await signedBy(body.clientKey, req, res) : false;
      const tenant = {
        clientKey: body.clientKey,
        appKey: body.key,
        sharedSecret: body.sharedSecret,
        baseUrl: baseUrl.origin,
        baseApiUrl: baseApiUrl.origin,
        workspaceUuid: body.principal.uuid,
        workspaceName: body.principal.display_name ?? null,
      };
      if (!signed && !(await proveInstall(tenant, deps.config.appKey, deps.config.httpTimeoutMs))) {
        req.log?.info({ clientKey: body.clientKey }, "install refused: Bitbucket does not vouch for its secret");
        throw new AppError("unauthorized", 401, "Bitbucket did not confirm this install");
      }
      const stored = existing
        ? await deps.tenants.tenants.replace(tenant, existing.sharedSecret)
        : await deps.tenants.tenants.insertNew(tenant);
      if (!stored)
        throw new AppError("install_conflict", 409, "Another install of this workspace happened at the same time; retry");
      deps.tenants.forget(body.clientKey);
      deps.log.info({ clientKey: body.clientKey, workspace: body.principal.uuid }, "installed");
      res.status(204).end();
    }),
  );

  router.post(
    "/uninstalled",
    handle(async (req: Request, res: Response) => {
      const body = validate(uninstalled, req.body, "The uninstall payload is not valid");
      await verifyConnectRequest(addon, req, res);
      if (req.context?.clientKey !== body.clientKey)
        throw new AppError("unauthorized", 401, "Uninstall must be signed by the same installation");
      await eraseTenant(deps, body.clientKey);
      deps.log.info({ clientKey: body.clientKey }, "uninstalled; tenant data erased");
      res.status(204).end();
    }),
  );

  // A re-install signed with the secret we hold; any failure of that check just means "not signed".
  async function signedBy(clientKey: string, req: Request, res: Response): Promise<boolean> {
    try {
      await verifyConnectRequest(addon, req, res);
      return req.context?.clientKey === clientKey;
    } catch {
      return false;
    }
  }

  return router;
}

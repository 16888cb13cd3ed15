import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { ForgeInstallations } from "../db/forge-installations";
import { forbidden } from "../errors";
import { handle } from "../http/handle";
import type { Fit } from "./fit-claims";
import { badFit, type FitVerifier } from "./verify-fit";

declare module "express-serve-static-core" {
  interface Request {
    /** The verified Forge invocation token of this call. */
    fit?: Fit;
  }
}

/**
 * The wall of an endpoint only Forge itself calls (product events, the scheduled tick, lifecycle, the
 * pre-uninstall hint). Any repository admin can make Forge sign a UI token (invokeRemote from the settings
 * page, which carries the page's `context`) and send it to any path of the remote: such a token is refused
 * here. When the token names the module it was made for (`app.module.key`), that must be one of the
 * manifest's keys for this endpoint (the endpoint's own or a module that calls it); a UI module type
 * (`bitbucket:*Page`) is refused whatever its key.
 */
export const forgeEventAuth = (verify: FitVerifier, moduleKeys: readonly string[]): RequestHandler =>
  handle(async (req: Request, _res: Response, next: NextFunction) => {
    await verifyRequest(verify, req);
    const fit = req.fit!;
    if (fit.ui !== null) throw forbidden("A settings page's token cannot call this endpoint");
    if (fit.module.type && /page$/i.test(fit.module.type)) throw forbidden("A settings page's token cannot call this endpoint");
    if (fit.module.key !== null && !moduleKeys.includes(fit.module.key))
      throw forbidden("This token was made for another module than this endpoint's");
    next();
  });

/** Verifies the request's FIT and keeps it as `req.fit`; a missing or bad one is the 401 Forge expects. */
export async function verifyRequest(verify: FitVerifier, req: Request): Promise<void> {
  const header = req.headers.authorization;
  if (!header?.startsWith("Bearer ")) throw badFit("no bearer token");
  req.fit = await verify(header.slice("Bearer ".length));
}

/**
 * Notes that a verified call came from the installation, with the app system token it carried (Forge
 * sends one on every call to an endpoint with `appSystemToken` enabled). Creates the installation on
 * first sight, so a lost lifecycle event costs nothing.
 */
export async function noteContact(store: ForgeInstallations, req: Request, tick = false): Promise<void> {
  const fit = req.fit!;
  const header = req.headers["x-forge-oauth-system"];
  const systemToken = typeof header === "string" && header.length > 0 && header.length <= 8192 ? header : undefined;
  await store.record({
    installationId: fit.installationId,
    clientKey: fit.installationKey,
    workspaceUuid: fit.workspaceUuid,
    apiBaseUrl: fit.apiBaseUrl,
    systemToken,
    tick,
  });
}

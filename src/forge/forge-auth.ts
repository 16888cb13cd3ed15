import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { ForgeInstallations } from "../db/forge-installations";
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
 * The Forge door's first wall: `Authorization: Bearer <FIT>`, verified before the body is even read.
 * Nothing is stored here; a handler notes the installation's contact once the request proved valid.
 */
export const fitAuth = (verify: FitVerifier): RequestHandler =>
  handle(async (req: Request, _res: Response, next: NextFunction) => {
    await verifyRequest(verify, req);
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

import type { NextFunction, Request, Response } from "express";
import type { ForgeInstallations } from "../db/forge-installations";
import { forbidden } from "../errors";
import { handle } from "../http/handle";
import "../settings/grant";
import type { AdoptConnectLinks } from "./adopt-connect-links";
import { braced } from "./fit-claims";
import { noteContact, verifyRequest } from "./forge-auth";
import type { FitVerifier } from "./verify-fit";

const UUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/** The installation's workspace as stored (first seen), which the UI context must name. */
async function installationWorkspace(store: ForgeInstallations, req: Request): Promise<string> {
  await noteContact(store, req);
  return (await store.find(req.fit!.installationKey))!.workspaceUuid;
}

/**
 * The Forge settings API's wall for one repository: a UI call's FIT (Forge reserves 401 for a bad one)
 * whose context is that repository's settings page, inside the installation's own workspace. Another
 * repository, another workspace, or a call without a page context is 403. A link the Connect edition made
 * for the repository is adopted first (see connectLinkAdopter).
 */
export const forgeRepositoryAuth = (store: ForgeInstallations, verify: FitVerifier, adopt?: AdoptConnectLinks) =>
  handle(async (req: Request, _res: Response, next: NextFunction) => {
    await verifyRequest(verify, req);
    const ui = req.fit!.ui;
    if (!ui?.repoUuid) throw forbidden("This call does not come from a repository's settings page");
    const param = String(req.params.repoUuid ?? "");
    if (!UUID.test(param) || braced(param) !== ui.repoUuid) throw forbidden("This token is for another repository");
    if (ui.workspaceUuid !== (await installationWorkspace(store, req))) throw forbidden("This token is for another workspace");
    // The page of a repository linked under the Connect edition shows (and from now on serves) that link.
    if (adopt) await adopt(req.fit!, ui.repoUuid);
    req.grant = { clientKey: req.fit!.installationKey, repoUuid: ui.repoUuid, repoPath: null, user: ui.principal };
    next();
  });

/** The workspace settings API's wall: a UI call from the workspace settings page of the installation's workspace. */
export const forgeWorkspaceAuth = (store: ForgeInstallations, verify: FitVerifier) =>
  handle(async (req: Request, _res: Response, next: NextFunction) => {
    await verifyRequest(verify, req);
    const ui = req.fit!.ui;
    if (!ui || ui.repoUuid || !/workspaceSettings/i.test(ui.moduleType ?? ""))
      throw forbidden("This call does not come from the workspace settings page");
    if (ui.workspaceUuid !== (await installationWorkspace(store, req))) throw forbidden("This token is for another workspace");
    req.workspaceGrant = { clientKey: req.fit!.installationKey, user: ui.principal };
    next();
  });

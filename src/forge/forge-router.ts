import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { badRequest } from "../errors";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { forgeEventAuth, noteContact } from "./forge-auth";
import { onForgePullRequest } from "./on-forge-pull-request";
import { onForgePush } from "./on-forge-push";
import type { FitVerifier } from "./verify-fit";
import type { AdoptConnectLinks } from "./adopt-connect-links";

const lifecycle = z
  .object({ eventType: z.enum(["avi:forge:installed:app", "avi:forge:upgraded:app"]), id: z.string().max(200).optional() })
  .passthrough();
const anyObject = z.object({}).passthrough();

/**
 * For each route, the manifest's (forge/manifest.yml) keys a token for it may name: the endpoint's key and
 * the keys of the modules that call that endpoint (test/unit/forge-manifest.test.ts keeps the two in step).
 */
export const FORGE_ROUTE_MODULES: Record<string, readonly string[]> = {
  "/forge/lifecycle": ["lifecycle", "lifecycle-trigger"],
  "/forge/tick": ["tick", "hourly-trigger"],
  "/forge/events/push": ["push-events", "push-trigger"],
  "/forge/events/pullrequest": ["pull-request-events", "pull-request-trigger"],
  "/forge/uninstalling": ["uninstalling", "pre-uninstall"],
};

/**
 * The Forge app's remote endpoints (the external contract): lifecycle, the hourly tick, product events.
 * Every call carries a FIT, verified before its body is read; each answers within Forge's 5 s, after
 * what it brought is stored. Forge retries a non-2xx 4 times, so only bad requests get one.
 */
export function forgeRouter(deps: Deps, verify: FitVerifier, adopt?: AdoptConnectLinks) {
  const router = express.Router();
  const auth = (path: string) => forgeEventAuth(verify, FORGE_ROUTE_MODULES[path]!);
  const json = express.json({ limit: "1mb" });
  const store = deps.forgeInstallations;

  // avi:forge:installed:app / upgraded:app: the installation and its first system token.
  router.post(
    "/forge/lifecycle",
    auth("/forge/lifecycle"),
    json,
    handle(async (req: Request, res: Response) => {
      const event = validate(lifecycle, req.body, "Not a Forge lifecycle event");
      if (event.id && event.id !== req.fit!.installationId)
        throw badRequest("The event names another installation than its token");
      await noteContact(store, req);
      deps.log.info(
        { installation: req.fit!.installationKey, workspace: req.fit!.workspaceUuid, event: event.eventType },
        "forge lifecycle",
      );
      res.status(200).json({ outcome: "recorded" });
    }),
  );

  // The hourly scheduled trigger: it exists to bring a fresh system token before the held one ends.
  router.post(
    "/forge/tick",
    auth("/forge/tick"),
    json,
    handle(async (req: Request, res: Response) => {
      validate(anyObject, req.body ?? {}, "Not a scheduled trigger call");
      await noteContact(store, req, true);
      res.status(200).json({ outcome: "recorded" });
    }),
  );

  router.post(
    "/forge/events/push",
    auth("/forge/events/push"),
    json,
    handle(async (req: Request, res: Response) => {
      // First: adopting Connect links asks Bitbucket, with the token this call brought, where the repository is.
      await noteContact(store, req);
      const outcome = await onForgePush(deps, req.fit!, req.body, adopt);
      res.status(200).json({ outcome });
    }),
  );

  // The `preUninstall` module, when Forge calls it: a best-effort hint (Forge does not wait for it and may
  // not call it at all), and not proof: the installation is only suspected (its sweeps pause). Its queued
  // work and GitLab webhooks stay until Bitbucket refuses its token (ForgeReaper); any verified call clears it.
  router.post(
    "/forge/uninstalling",
    auth("/forge/uninstalling"),
    json,
    handle(async (req: Request, res: Response) => {
      validate(anyObject, req.body ?? {}, "Not a pre-uninstall call");
      const suspected = await store.suspect(req.fit!.installationKey, Date.now());
      res.status(200).json({ outcome: suspected ? "uninstalling: sweeps paused" : "unknown or already gone" });
    }),
  );

  // avi:bitbucket:created|updated|fulfilled|rejected:pullrequest: stored, then answered (pr-intake.ts).
  router.post(
    "/forge/events/pullrequest",
    auth("/forge/events/pullrequest"),
    json,
    handle(async (req: Request, res: Response) => {
      const outcome = await onForgePullRequest(deps, req.fit!, req.body);
      await noteContact(store, req);
      res.status(200).json({ outcome });
    }),
  );
  return router;
}

import express, { type Request, type Response } from "express";
import type { Deps } from "../deps";
import { notFound } from "../errors";
import { handle } from "../http/handle";
import { settingsAuth } from "./settings-auth";

/**
 * GET /api/repositories/{repoUuid}/events (the link's last 50 deliveries: what came in, what we did, what
 * the peer answered, how long it took) and GET .../audit (who linked, changed or unlinked, and when).
 */
export function historyApiRouter(deps: Deps) {
  const router = express.Router();
  const auth = settingsAuth(deps);

  router.get(
    "/api/repositories/:repoUuid/events",
    auth,
    handle(async (req: Request, res: Response) => {
      const link = await deps.links.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
      if (!link) throw notFound("not_linked", "This repository is not linked to a GitLab project yet");
      const events = await deps.events.forLink(link.id);
      res.json({ events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
    }),
  );

  router.get(
    "/api/repositories/:repoUuid/audit",
    auth,
    handle(async (req: Request, res: Response) => {
      const events = await deps.audit.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
      res.json({ audit: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
    }),
  );

  return router;
}

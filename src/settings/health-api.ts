import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { activity } from "../links/activity";
import { resendFailed } from "../links/failed-deliveries";
import { lastHeardAt } from "../links/last-heard";
import { linkHealth, recheckLink } from "../links/link-health";
import { linkView } from "../links/link-view";
import { rotateWebhookSecret } from "../links/webhook-secret";
import { queuePushSyncNow } from "../sync/push-refs";
import { queueMirrorTrigger } from "../sync/trigger-mirror";
import type { SettingsDoor } from "./grant";
import { linkedRepository } from "./link-api";

/**
 * How a link is doing and what happened to it, under {prefix}/repositories/{repoUuid}: GET health,
 * POST recheck, POST sync (sync now), POST webhook-secret (a new one), POST failed/{id}/resend, GET events (the link's last 50 deliveries: what came in, what we
 * did, what the peer answered, how long it took) and GET audit (who linked, changed or unlinked, when).
 */
export function healthApiRouter(deps: Deps, door: SettingsDoor) {
  const router = express.Router();
  const base = `${door.prefix}/repositories/:repoUuid`;
  const auth = door.repositoryAuth;

  router.get(
    `${base}/health`,
    auth,
    handle(async (req, res) => {
      res.json({ health: await linkHealth(deps, await linkedRepository(deps, req)) });
    }),
  );
  router.post(
    `${base}/recheck`,
    auth,
    handle(async (req, res) => {
      const link = await linkedRepository(deps, req);
      const health = await recheckLink(deps, link);
      const fresh = (await deps.links.byId(link.id)) ?? link;
      res.json({ link: linkView(fresh, await lastHeardAt(deps.events, fresh)), health });
    }),
  );
  // "Sync now": the same work a push queues, for when the cause of a failed sync has been fixed.
  router.post(
    `${base}/sync`,
    auth,
    handle(async (req, res) => {
      const link = await linkedRepository(deps, req);
      if (link.sync === "push") await queuePushSyncNow(deps, link);
      else await queueMirrorTrigger({ outbox: deps.outbox, wake: deps.worker, debounceMs: 0 }, link, []);
      res.status(202).json({ queued: link.sync });
    }),
  );
  // "New secret": the shown-once secret was lost, or leaked. Answered once, like the link PUT's.
  router.post(
    `${base}/webhook-secret`,
    auth,
    handle(async (req, res) => {
      const link = await linkedRepository(deps, req);
      const webhook = await rotateWebhookSecret(deps, link, req.grant!.user || null);
      res.json({ link: linkView((await deps.links.byId(link.id)) ?? link), webhook });
    }),
  );
  router.post(
    `${base}/failed/:id/resend`,
    auth,
    handle(async (req, res) => {
      const id = validate(z.coerce.number().int().positive(), req.params.id, "No such failed delivery");
      res.json({ resent: await resendFailed(deps, await linkedRepository(deps, req), id) });
    }),
  );
  router.get(
    `${base}/events`,
    auth,
    handle(async (req: Request, res: Response) => {
      const link = await linkedRepository(deps, req);
      const events = await deps.events.forLink(link.id);
      res.json({ events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
    }),
  );
  // Recent activity for people: deliveries and audit in one list, keys named, no-op entries folded away.
  router.get(
    `${base}/activity`,
    auth,
    handle(async (req: Request, res: Response) => {
      const link = await linkedRepository(deps, req);
      const [events, audit, installation] = await Promise.all([
        deps.events.forLink(link.id),
        deps.audit.forRepository(req.grant!.clientKey, req.grant!.repoUuid),
        deps.findInstallation(link.clientKey),
      ]);
      const repositoryWebUrl =
        installation && link.repoFullName ? `${installation.webBaseUrl.replace(/\/+$/, "")}/${link.repoFullName}` : null;
      res.json(
        activity(events, audit, { projectId: link.projectId, projectWebUrl: linkView(link).projectWebUrl, repositoryWebUrl }),
      );
    }),
  );
  router.get(
    `${base}/audit`,
    auth,
    handle(async (req: Request, res: Response) => {
      const events = await deps.audit.forRepository(req.grant!.clientKey, req.grant!.repoUuid);
      res.json({ audit: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
    }),
  );
  return router;
}

import { createHash, timingSafeEqual } from "node:crypto";
import express, { type Request, type Response } from "express";
import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { AppError, notFound, unauthorized } from "../errors";
import { handle } from "../http/handle";
import { countIntake } from "../http/intake-metrics";
import { intakeLimit } from "../http/intake-limit";
import { validate } from "../http/validate";
import { queueStatusSync } from "../sync/sync-statuses";
import { fromJobHook, fromPipelineHook, jobHook, pipelineHook, type StatusTrigger } from "./webhook-payloads";

type Parser = (link: Link, body: unknown) => StatusTrigger | null;

// Job hooks matter only when the link posts per-job statuses; in pipeline mode the pipeline hook that
// follows every job change carries the same news.
// (A Map, because the event name is the sender's header: "__proto__" must find nothing.)
const EVENTS = new Map<string, Parser>([
  ["Pipeline Hook", (_link, body) => fromPipelineHook(validate(pipelineHook, body, "Not a GitLab pipeline event"))],
  [
    "Job Hook",
    (link, body) => (link.statusMode === "pipeline" ? null : fromJobHook(validate(jobHook, body, "Not a GitLab job event"))),
  ],
]);

const LINK_ID = /^[0-9a-f-]{36}$/;

/**
 * POST /webhooks/gitlab/:linkId. GitLab never retries a failed delivery and disables hooks that keep
 * failing, so: authenticate, store, answer 200 quickly; answer 2xx for events we ignore; 4xx only when
 * the request is not GitLab's (unknown link, wrong secret) or is malformed.
 */
export function gitlabWebhookRouter(deps: Deps) {
  const router = express.Router();
  router.post(
    "/webhooks/gitlab/:linkId",
    countIntake(deps.metrics, "gitlab", [...EVENTS.keys(), "Push Hook"], (req) => req.header("x-gitlab-event")),
    intakeLimit(deps.config.intakeLimit.perLink, (req) => req.params.linkId),
    express.json({ limit: "5mb" }),
    handle(async (req: Request, res: Response) => {
      const linkId = req.params.linkId ?? "";
      const link = await authenticate(deps, linkId, req.header("x-gitlab-token"));
      await deps.linkCache.noteWebhook(link.id);

      const parse = EVENTS.get(req.header("x-gitlab-event") ?? "");
      const trigger = parse ? parse(link, req.body) : null;
      if (!trigger) return res.status(200).setHeader("X-Outcome", "ignored").json({ outcome: "ignored" });
      if (trigger.projectId !== link.projectId) {
        throw new AppError("project_mismatch", 403, "This webhook belongs to another GitLab project");
      }

      const deliveryId = req.header("idempotency-key") ?? req.header("x-gitlab-event-uuid");
      const delivery = deliveryId ? { source: "gitlab" as const, id: deliveryId } : undefined;
      if (!(await queueStatusSync({ outbox: deps.outbox, wake: deps.worker }, link, trigger, delivery)))
        return res.status(200).setHeader("X-Outcome", "duplicate").json({ outcome: "duplicate" });
      if (deliveryId) await deps.deliveries.record("gitlab", deliveryId, link.clientKey);
      res.status(200).setHeader("X-Outcome", "accepted").json({ outcome: "accepted" });
    }),
  );
  return router;
}

async function authenticate(deps: Pick<Deps, "linkCache">, linkId: string, token: string | undefined): Promise<Link> {
  if (!LINK_ID.test(linkId)) throw notFound("unknown_webhook", "No link has this webhook; remove the hook from GitLab");
  let link = await deps.linkCache.get(linkId);
  if (link && !sameSecret(token, link.webhookSecret)) link = await deps.linkCache.get(linkId, true);
  if (!link) throw notFound("unknown_webhook", "No link has this webhook; remove the hook from GitLab");
  if (!sameSecret(token, link.webhookSecret)) throw unauthorized("Wrong or missing X-Gitlab-Token");
  return link;
}

// Hash both sides first so the comparison takes the same time whatever the lengths.
function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

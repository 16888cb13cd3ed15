import express, { type Request, type Response } from "express";
import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { handle } from "../http/handle";
import { countIntake } from "../http/intake-metrics";
import { jsonBody } from "../http/json-body";
import { intakeLimit } from "../http/intake-limit";
import { validate } from "../http/validate";
import { queueStatusSync } from "../sync/sync-statuses";
import { deliveryOf } from "../sync/work";
import { gitlabHookAuth } from "./hook-auth";
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

/**
 * POST /webhooks/gitlab/:linkId. GitLab never retries a failed delivery and disables hooks that keep
 * failing, so: authenticate, store, answer 200 quickly; answer 2xx for events we ignore; 4xx only when
 * the request is not GitLab's (unknown link, wrong secret) or is malformed. Authentication comes before
 * the body is read, and the body's nesting is bounded before it is parsed.
 */
export function gitlabWebhookRouter(deps: Deps) {
  const router = express.Router();
  router.post(
    "/webhooks/gitlab/:linkId",
    countIntake(deps.metrics, "gitlab", [...EVENTS.keys(), "Push Hook"], (req) => req.header("x-gitlab-event")),
    gitlabHookAuth(deps),
    // After the secret check: a stranger who knows a link's URL cannot spend its intake budget.
    intakeLimit(deps.config.intakeLimit.perLink, (req) => req.params.linkId),
    jsonBody({ limit: "5mb" }),
    handle(async (req: Request, res: Response) => {
      const link = req.gitlabLink!;
      await deps.linkCache.noteWebhook(link.id);

      const parse = EVENTS.get(req.header("x-gitlab-event") ?? "");
      const trigger = parse ? parse(link, req.body) : null;
      if (!trigger) return res.status(200).setHeader("X-Outcome", "ignored").json({ outcome: "ignored" });
      if (trigger.projectId !== link.projectId) {
        throw new AppError("project_mismatch", 403, "This webhook belongs to another GitLab project");
      }

      // GitLab sends one event to each hook of a project under the same id: a delivery is one link's.
      const delivery = deliveryOf("gitlab", link.id, req.header("idempotency-key") || req.header("x-gitlab-event-uuid"));
      if (!(await queueStatusSync({ outbox: deps.outbox, wake: deps.worker }, link, trigger, delivery)))
        return res.status(200).setHeader("X-Outcome", "duplicate").json({ outcome: "duplicate" });
      if (delivery) await deps.deliveries.record(delivery, link.clientKey);
      res.status(200).setHeader("X-Outcome", "accepted").json({ outcome: "accepted" });
    }),
  );
  return router;
}

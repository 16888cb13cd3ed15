import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { handle } from "../http/handle";
import { countIntake } from "../http/intake-metrics";
import { jsonBody } from "../http/json-body";
import { intakeLimit } from "../http/intake-limit";
import { validate } from "../http/validate";
import { bitbucketWebhookAuth } from "./connect-auth";
import { onPullRequest, PULL_REQUEST_EVENTS } from "./on-pull-request";
import { onRepoPush, type RepoPushCollaborators } from "./on-repo-push";

const envelope = z.object({ event: z.string().max(100), data: z.unknown() });

/** A handler decides what one Bitbucket event means for us; the router only authenticates and dispatches. */
export type BitbucketHandler = (
  deps: RepoPushCollaborators,
  clientKey: string,
  data: unknown,
  deliveryId: string | undefined,
) => Promise<string>;

// A Map, not an object literal: the event name is the sender's, and "__proto__" or "constructor" must
// find nothing rather than something of Object.prototype (the fuzz test sent exactly that).
const HANDLERS = new Map<string, BitbucketHandler>([
  ["repo:push", onRepoPush],
  ...PULL_REQUEST_EVENTS.map((event): [string, BitbucketHandler] => [event, onPullRequest(event)]),
]);

/**
 * Our own route for Connect webhooks, at the URL the descriptor names. ACE would mount one there too,
 * but it answers 204 before its listeners run; this one answers only after the event is stored.
 */
export function bitbucketWebhookRouter(deps: Deps) {
  const router = express.Router();
  router.post(
    "/webhooks/bitbucket",
    countIntake(deps.metrics, "bitbucket", [...HANDLERS.keys()], (req) => (req.body as { event?: unknown } | undefined)?.event),
    // Authenticated first, from the Authorization header alone: the body is read only for a known sender.
    bitbucketWebhookAuth(deps),
    intakeLimit(deps.config.intakeLimit.perInstallation, (req) => req.context?.clientKey),
    jsonBody({ limit: "1mb" }),
    handle(async (req: Request, res: Response) => {
      const { event, data } = validate(envelope, req.body, "Not a Bitbucket webhook");
      const handler = HANDLERS.get(event);
      const clientKey = req.context!.clientKey;
      const outcome = handler ? await handler(deps, clientKey, data, req.header("x-request-uuid")) : "ignored";
      res.status(204).setHeader("X-Outcome", outcome).end();
    }),
  );
  return router;
}

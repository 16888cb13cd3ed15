import { createHash } from "node:crypto";
import { z } from "zod";
import type { Deps } from "../deps";
import { forbidden } from "../errors";
import { validate } from "../http/validate";
import { queuePushRefs } from "../sync/push-refs";
import { queueMirrorTrigger } from "../sync/trigger-mirror";
import type { AdoptConnectLinks } from "./adopt-connect-links";
import { braced, type Fit } from "./fit-claims";

const uuid = z.string().regex(/^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i);
const sha = z.string().regex(/^[0-9a-f]{7,64}$/i);
const refName = z.string().min(1).max(255);

// The `avi:bitbucket:push:repository` payload: `ref` is a short name (one per event as far as anyone has
// seen, but several are accepted), `before` is absent on creation and `after` on deletion; no slugs.
const pushEvent = z
  .object({
    selfGenerated: z.boolean().optional(),
    timestamp: z.string().max(64).optional(),
    workspace: z.object({ uuid }).passthrough(),
    repository: z.object({ uuid }).passthrough(),
    push: z
      .object({
        ref: z.union([refName, z.array(refName).min(1).max(100)]),
        before: sha.optional(),
        after: sha.optional(),
        created: z.boolean().optional(),
        closed: z.boolean().optional(),
        forced: z.boolean().optional(),
      })
      .passthrough(),
    retryContext: z.unknown().optional(),
  })
  .passthrough();

// Forge's documentation shows events both bare and as `{ "payload": …, "retryContext": … }`.
const envelope = z.object({ payload: pushEvent, retryContext: z.unknown().optional() }).passthrough();
const isEnvelope = (raw: unknown) => typeof raw === "object" && raw !== null && "payload" in raw;

/** How long a retried event is recognised: Forge retries 4 times, 60 s apart, and may lag 3 minutes. */
export const FORGE_DEDUPE_WINDOW_MS = 10 * 60_000;

export type ForgePushCollaborators = Pick<Deps, "links" | "outbox" | "worker" | "deliveries" | "config">;

/**
 * A push to a linked repository, through the Forge door: the same durable intake as Connect's repo:push
 * (a push sync or a mirror trigger queued before the 2xx). The event has no id, so a retry is recognised by what it says
 * (repository, refs, before, after, and the event's own timestamp): a ref that later moves back to an
 * earlier hash is a new event, and ids are forgotten after a few minutes anyway.
 */
export async function onForgePush(
  deps: ForgePushCollaborators,
  fit: Fit,
  raw: unknown,
  adopt?: AdoptConnectLinks,
): Promise<string> {
  const message = "Not an avi:bitbucket:push:repository payload";
  const event = isEnvelope(raw) ? validate(envelope, raw, message).payload : validate(pushEvent, raw, message);
  if (braced(event.workspace.uuid) !== fit.workspaceUuid)
    throw forbidden("This event is for another workspace than the installation's");
  // Forge's `filter.ignoreSelf` is Jira-only; the app never pushes to Bitbucket, but a push it made would not need a trigger.
  if (event.selfGenerated) return "ignored: made by the app";
  const repoUuid = braced(event.repository.uuid);
  // A repository linked under the Connect edition is adopted on its first Forge push (connectLinkAdopter).
  let link = await deps.links.intakeFor(fit.installationKey, repoUuid);
  if (!link && adopt && (await adopt(fit, repoUuid)) > 0) link = await deps.links.intakeFor(fit.installationKey, repoUuid);
  if (!link) return "ignored: repository not linked";
  if (link.mirrorTriggerBlocked) return "ignored: the link's token cannot trigger the mirror";
  const linkId = link.id;
  const refs = typeof event.push.ref === "string" ? [event.push.ref] : event.push.ref;
  const id = createHash("sha256")
    .update(JSON.stringify([repoUuid, refs, event.push.before ?? null, event.push.after ?? null, event.timestamp ?? null]))
    .digest("hex");
  await deps.deliveries.pruneSource("forge", FORGE_DEDUPE_WINDOW_MS);
  const delivery = { source: "forge" as const, scope: fit.installationKey, id };
  const queue = { outbox: deps.outbox, wake: deps.worker, debounceMs: deps.config.mirrorDebounceMs };
  const target = { id: linkId, clientKey: fit.installationKey };
  const written =
    link.sync === "push"
      ? await queuePushRefs({ ...queue, debounceMs: deps.config.pushSyncDebounceMs }, target, delivery)
      : await queueMirrorTrigger(queue, target, refs, delivery);
  if (!written) return "duplicate";
  await deps.deliveries.record(delivery, fit.installationKey);
  return "accepted";
}

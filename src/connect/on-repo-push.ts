import { z } from "zod";
import type { Deps } from "../deps";
import { validate } from "../http/validate";
import { queuePushRefs } from "../sync/push-refs";
import { queueMirrorTrigger } from "../sync/trigger-mirror";
import { deliveryOf } from "../sync/work";

const ref = z.object({ type: z.string(), name: z.string() }).passthrough().nullable();
const repoPush = z.object({
  repository: z.object({ uuid: z.string().regex(/^\{[0-9a-f-]{36}\}$/i), full_name: z.string().optional() }).passthrough(),
  push: z.object({ changes: z.array(z.object({ new: ref, old: ref }).passthrough()) }).passthrough(),
  // Who pushed, as Bitbucket names them: the page's Recent activity shows it.
  actor: z
    .object({ display_name: z.string().max(200).optional() })
    .passthrough()
    .nullish(),
});

export type RepoPushCollaborators = Pick<Deps, "links" | "outbox" | "worker" | "deliveries" | "config" | "pullRequests">;

/**
 * A push to a linked repository: a push-sync link queues the app's own sync of the refs; a mirror link asks
 * GitLab to update its mirror now rather than at its next poll.
 */
export async function onRepoPush(
  deps: RepoPushCollaborators,
  clientKey: string,
  data: unknown,
  deliveryId: string | undefined,
): Promise<string> {
  const push = validate(repoPush, data, "Not a repo:push payload");
  const link = await deps.links.intakeFor(clientKey, push.repository.uuid);
  if (!link) return "ignored: repository not linked";
  // A token that cannot trigger the pull mirror (a Developer's) would only collect 403s: GitLab updates the
  // mirror on its own schedule, and the settings page says how to get immediate updates.
  if (link.sync === "mirror" && link.mirrorTriggerBlocked) return "ignored: the link's token cannot trigger the mirror";
  const refs = push.push.changes.map((c) => (c.new ?? c.old)?.name).filter((n): n is string => !!n);
  const delivery = deliveryOf("bitbucket", clientKey, deliveryId);
  const queue = { outbox: deps.outbox, wake: deps.worker, debounceMs: deps.config.mirrorDebounceMs };
  const written =
    link.sync === "push"
      ? await queuePushRefs({ ...queue, debounceMs: deps.config.pushSyncDebounceMs }, { id: link.id, clientKey }, delivery)
      : await queueMirrorTrigger(queue, { id: link.id, clientKey }, refs, delivery, push.actor?.display_name);
  if (!written) return "duplicate";
  if (delivery) await deps.deliveries.record(delivery, clientKey);
  return "accepted";
}

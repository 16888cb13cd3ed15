import type { Links } from "../db/links";
import type { Deliveries } from "../db/deliveries";
import type { PullRequestFacts, PullRequests } from "../db/pull-requests";
import type { Outbox } from "../outbox/outbox";
import { queuePrPipelines } from "./pr-pipelines";
import type { Delivery, Wakeup } from "./work";

export interface PrIntakeCollaborators {
  links: Pick<Links, "intakeFor">;
  pullRequests: PullRequests;
  outbox: Outbox;
  wake: Wakeup;
  deliveries: Pick<Deliveries, "record">;
}

/**
 * A pull-request event of either edition, after its edge validated it: the facts are stored and the
 * link's run queued before the webhook is answered, so a crash loses nothing; a delivery taken in before
 * writes no work (storing the same facts again changes nothing).
 */
export async function takeInPullRequest(
  c: PrIntakeCollaborators,
  installationKey: string,
  repoUuid: string,
  facts: PullRequestFacts,
  delivery: Delivery,
): Promise<string> {
  const link = await c.links.intakeFor(installationKey, repoUuid);
  if (!link) return "ignored: repository not linked";
  // Merge results are pushed by the app: a link that pulls through GitLab's mirror has no such pipelines.
  if (link.sync !== "push") return "ignored: the link does not push-sync";
  const stored = await c.pullRequests.noteEvent(link.id, facts);
  if (!stored) return "ignored: a newer event for this pull request came first";
  if (!(await queuePrPipelines(c, { id: link.id, clientKey: installationKey }, delivery))) return "duplicate";
  if (delivery) await c.deliveries.record(delivery, installationKey);
  return "accepted";
}

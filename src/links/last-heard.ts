import type { LinkEvents } from "../db/link-events";
import type { Link } from "../db/links";

/** Status syncs that no GitLab hook asked for start their summary so (sync-statuses.ts). */
const NOT_FROM_A_HOOK = /^(re-check|catch-up)/;

/**
 * When GitLab last reached us for this link, from the same records "Recent activity" shows (issue 15,
 * item 9). Intake writes `webhookLastReceivedAt` at most once a minute per link and instance (a write per
 * hook costs too much), so on its own it lags the activity by up to a minute: the page said "Last delivery
 * received 1 min ago" beside a hook's delivery "just now". The newest hook-caused delivery in the activity
 * is the fresher of the two; the stored column still answers for links whose activity was trimmed.
 */
export async function lastHeardAt(events: Pick<LinkEvents, "forLink">, link: Link): Promise<number | null> {
  const recent = await events.forLink(link.id, 20);
  const hook = recent.find((e) => e.kind === "status-sync" && !NOT_FROM_A_HOOK.test(e.summary));
  const candidates = [link.webhookLastReceivedAt, hook?.at].filter((t): t is number => typeof t === "number");
  return candidates.length ? Math.max(...candidates) : null;
}

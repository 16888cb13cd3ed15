import { randomBytes } from "node:crypto";
import type { Link } from "../db/links";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { toLinkError } from "./gitlab-errors";
import { webhookUrl } from "./link-view";

type RotateDeps = Pick<Deps, "audit" | "config" | "gitlab" | "linkCache" | "links" | "log">;

// The rotation running, per link, on this instance: the next one starts when it ended.
const running = new Map<string, Promise<unknown>>();

/** Runs `fn` after any rotation of the same link this instance is running. */
function oneAtATime<T>(linkId: string, fn: () => Promise<T>): Promise<T> {
  const run = (running.get(linkId) ?? Promise.resolve()).catch(() => undefined).then(fn);
  const settled = run.catch(() => undefined);
  running.set(linkId, settled);
  void settled.then(() => {
    if (running.get(linkId) === settled) running.delete(linkId);
  });
  return run;
}

/**
 * "New secret": the link's GitLab webhook gets a fresh secret token. For the hook the app added, GitLab is
 * told first (so no delivery is refused in between); a hook added by hand gets the secret back, once, to
 * paste into GitLab. Either way the old secret stops working. Two rotations of one link never interleave
 * (GitLab and the database would end with different secrets, and every delivery would be refused): on one
 * instance they take turns; across instances the database write is a compare-and-set on the secret read
 * before GitLab was told, and the loser gives GitLab the winner's secret back and answers 409.
 */
export function rotateWebhookSecret(
  deps: RotateDeps,
  link: Link,
  actor: string | null,
): Promise<{ url: string; registered: boolean; secret?: string }> {
  return oneAtATime(link.id, () => rotate(deps, link.id, actor));
}

async function rotate(deps: RotateDeps, linkId: string, actor: string | null) {
  // Read again in turn: the rotation before this one changed the secret.
  const link = await deps.links.byId(linkId);
  const before = await deps.links.sealedWebhookSecret(linkId);
  if (!link || before === null) throw new AppError("not_linked", 404, "This repository is not linked");
  const secret = randomBytes(32).toString("base64url");
  const url = webhookUrl(deps.config.baseUrl, link.id);
  const tellGitLab = async (s: string) => {
    try {
      await deps.gitlab(link.gitlabUrl, link.token, link.clientKey).setHookSecret(link.projectId, link.webhookId!, url, s);
    } catch (e) {
      throw toLinkError(e, "project");
    }
  };
  if (link.webhookId != null) await tellGitLab(secret);
  if (!(await deps.links.swapWebhookSecret(link.id, before, secret))) {
    // Another instance renewed it meanwhile and kept its secret: GitLab must have that one, not ours.
    const kept = await deps.links.byId(link.id);
    if (kept && link.webhookId != null) await tellGitLab(kept.webhookSecret);
    deps.linkCache.forget(link.id);
    throw new AppError("conflict", 409, "The webhook secret was renewed by another request at the same time; try again");
  }
  deps.linkCache.forget(link.id);
  await deps.audit.record(link.clientKey, link.repoUuid, {
    actor,
    action: "changed",
    summary: link.webhookId != null ? "Gave the GitLab webhook a new secret" : "Made a new webhook secret, to paste into GitLab",
  });
  deps.log.info({ linkId: link.id, registered: link.webhookId != null }, "webhook secret renewed");
  return link.webhookId != null ? { url, registered: true } : { url, registered: false, secret };
}

import { createHash } from "node:crypto";

/**
 * The webhook delivery work comes from; work of a delivery already taken in is not written again. Ids are
 * unique within a scope: GitLab sends one event to every hook of a project under the same id, so its scope
 * is the link; Bitbucket's is the installation (clientKey).
 */
export type Delivery = { source: "bitbucket" | "gitlab" | "forge"; scope: string; id: string } | undefined;

const MAX_ID = 128;

/**
 * The delivery a webhook names in its headers, if it names one. The id is the sender's: one longer than
 * any real one (GitLab's and Bitbucket's are UUIDs) is kept as its SHA-256, so storage stays bounded and a
 * resend of it is still recognised.
 */
export function deliveryOf(source: "bitbucket" | "gitlab", scope: string, id: string | undefined): Delivery {
  if (!id) return undefined;
  return { source, scope, id: id.length <= MAX_ID ? id : `sha256:${createHash("sha256").update(id).digest("hex")}` };
}

/** Wakes this instance's outbox worker after work was written, so delivery starts at once (or in `ms`). */
export interface Wakeup {
  kick(): void;
  kickIn(ms: number): void;
}

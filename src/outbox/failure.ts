import { PeerFailure, WorkAbandoned, WorkDeferred } from "../errors";

/** What the worker does with a row whose delivery threw. */
export type FailureVerdict =
  | { kind: "deferred"; message: string; waitMs: number; holdsLink: boolean }
  | { kind: "permanent"; message: string }
  | { kind: "transient"; message: string; retryAfterMs?: number };

/**
 * Reads a thrown error as the queue needs it. Anything that is not one of the app's own failure types (a
 * dropped connection, a timeout, a bug) is assumed transient: retrying costs little, losing work a lot.
 */
export function verdictOf(e: unknown): FailureVerdict {
  if (e instanceof WorkDeferred) return { kind: "deferred", message: e.message, waitMs: e.waitMs, holdsLink: e.holdsLink };
  if (e instanceof WorkAbandoned) return { kind: "permanent", message: e.message };
  if (e instanceof PeerFailure)
    return e.transient
      ? { kind: "transient", message: e.message, retryAfterMs: e.retryAfterMs }
      : { kind: "permanent", message: e.message };
  return { kind: "transient", message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

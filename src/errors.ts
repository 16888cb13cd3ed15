/** The one error type the app throws on purpose: a code for machines, a status, a message safe to show. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (message: string, fields?: Record<string, string>) =>
  new AppError("invalid_request", 400, message, fields ? { fields } : undefined);
export const unauthorized = (message = "Authentication required") => new AppError("unauthorized", 401, message);
export const forbidden = (message = "Not allowed") => new AppError("forbidden", 403, message);
export const notFound = (code = "not_found", message = "Not found") => new AppError(code, 404, message);

export type Peer = "gitlab" | "bitbucket" | "forge" | "git";

/**
 * A call to a peer (GitLab, Bitbucket, git) that did not do what we asked. Transient failures (network,
 * timeouts, 408/425/429, 5xx) are worth retrying later; permanent ones (other 4xx: the request itself is
 * wrong, or we are not allowed) are not. The message is safe to show and to log: no token in it.
 */
export class PeerFailure extends Error {
  readonly peer: Peer;
  /** The peer's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** How long the peer asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  readonly transient: boolean;

  constructor(f: { peer: Peer; message: string; transient: boolean; status?: number; retryAfterMs?: number }) {
    super(f.message);
    this.name = "PeerFailure";
    this.peer = f.peer;
    this.transient = f.transient;
    this.status = f.status;
    this.retryAfterMs = f.retryAfterMs;
  }

  /** The same failure with another message (e.g. scrubbed of a token). */
  withMessage(message: string): PeerFailure {
    return new PeerFailure({ ...this, peer: this.peer, transient: this.transient, message });
  }
}

/** A failure of a peer's HTTP answer, classified by its status. */
export const peerStatusFailure = (peer: Peer, status: number, message: string, retryAfterMs?: number) =>
  new PeerFailure({ peer, status, message, transient: isTransientStatus(status), retryAfterMs });

/**
 * Not a failure: the work must wait (a rate budget, a pause after 429, a token not yet renewed) without
 * using up one of its attempts.
 */
export class WorkDeferred extends Error {
  constructor(
    reason: string,
    readonly waitMs: number,
    /** Every row of the same link must wait too (a budget of the link's GitLab token is spent). */
    readonly holdsLink = false,
  ) {
    super(reason);
    this.name = "WorkDeferred";
  }
}

/** The work can never succeed (the installation or link is gone): give it up without retrying. */
export class WorkAbandoned extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "WorkAbandoned";
  }
}

export const isTransientStatus = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

/** `Retry-After` as milliseconds, from either of its forms (seconds, or an HTTP date). */
export function parseRetryAfter(value: string | string[] | null | undefined, now = Date.now()): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A write refused because the row it belongs to (a link, an installation) was deleted meanwhile. */
export class OwnerGone extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "OwnerGone";
  }
}

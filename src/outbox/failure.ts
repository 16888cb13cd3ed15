/**
 * How a delivery failed. Transient failures (network, timeouts, 408/425/429, 5xx) are retried later;
 * permanent ones (other 4xx: the request itself is wrong, or we are not allowed) stop at once.
 */
export class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    /** Not a failure at all: the work waits for a rate budget and the attempt does not count. */
    readonly deferred = false,
    /** The peer's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "DeliveryFailure";
  }
}

/** The work must wait (rate budget, a pause after 429) without using up one of its attempts. */
export const deferral = (reason: string, waitMs: number) => new DeliveryFailure(reason, true, waitMs, true);

export const isRetryableStatus = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

/** `Retry-After` as milliseconds, from either of its forms (seconds, or an HTTP date). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Anything thrown that is not a DeliveryFailure (a dropped connection, a timeout, a bug) is assumed transient. */
export function asDeliveryFailure(e: unknown): DeliveryFailure {
  if (e instanceof DeliveryFailure) return e;
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new DeliveryFailure(message, true);
}

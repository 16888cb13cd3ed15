const BASE_MS = 1_000;
const CAP_MS = 15 * 60_000;

/**
 * Delay before attempt `attempts + 1`: exponential with "equal jitter" (half fixed, half random), so
 * retries from many rows spread out instead of arriving together, and never sooner than the peer's
 * Retry-After. Our retries are rows in the database, not loops in memory, which is why this is a
 * formula here rather than a retry library.
 */
export function backoffMs(attempts: number, retryAfterMs?: number, random = Math.random): number {
  const exp = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempts - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

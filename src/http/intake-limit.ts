import type { Request, RequestHandler } from "express";
import type { RateLimit } from "../config";
import { TokenBucket } from "../core/token-bucket";
import { AppError } from "../errors";

/** Buckets kept at most; past that the least recently used is forgotten, which only ever forgives. */
const MAX_KEYS = 10_000;

/**
 * A last-resort limit on webhook intake: a token bucket per key (a GitLab link, a Bitbucket installation)
 * in this process's memory. Fairness is the outbox's job (its claim shares the worker slots between
 * installations); this only stops one sender from filling the queue without end. It answers 429 with
 * Retry-After and a JSON error, and is generous on purpose: GitLab disables a hook that keeps failing, so
 * a refusal costs more than a deep queue.
 *
 * @param keyOf the request's key; requests without one are let through (authentication answers them).
 */
export function intakeLimit(limit: RateLimit, keyOf: (req: Request) => string | undefined): RequestHandler {
  const buckets = new Map<string, TokenBucket>();
  const perMs = limit.perSecond / 1000;
  return (req, res, next) => {
    const key = keyOf(req);
    if (!key) return next();
    const bucket = buckets.get(key) ?? new TokenBucket(perMs, limit.burst);
    // Re-inserted so the Map's order is least recently used first, for the eviction below.
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size > MAX_KEYS) buckets.delete(buckets.keys().next().value!);
    const waitMs = bucket.take();
    if (waitMs === 0) return next();
    const retryAfterS = Math.ceil(waitMs / 1000);
    res.setHeader("Retry-After", String(retryAfterS));
    next(
      new AppError(
        "rate_limited",
        429,
        `Too many webhooks: more than ${limit.burst} at once or ${limit.perSecond} a second; retry after ${retryAfterS} s`,
      ),
    );
  };
}

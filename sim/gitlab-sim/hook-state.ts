import type { SimHook } from "./types";

// WebHooks::AutoDisabling (GitLab 17.x, project hooks): every delivery that does not answer 2xx or
// 3xx (4xx included, and timeouts) adds to `recent_failures`. From the 4th consecutive failure the
// hook is skipped until `disabled_until` (1 minute, doubling up to 1 day); after the 40th it is
// disabled for good. One success resets both.
const TEMPORARY_THRESHOLD = 3;
const PERMANENT_THRESHOLD = 39;
const INITIAL_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 24 * 60 * 60_000;

export function isPermanentlyDisabled(hook: SimHook): boolean {
  return hook.failures > PERMANENT_THRESHOLD;
}

export function isTemporarilyDisabled(hook: SimHook, now: number): boolean {
  return (
    hook.disabledUntil !== undefined &&
    hook.disabledUntil >= now &&
    hook.failures > TEMPORARY_THRESHOLD &&
    hook.failures <= PERMANENT_THRESHOLD
  );
}

export function isExecutable(hook: SimHook, now: number): boolean {
  return !isTemporarilyDisabled(hook, now) && !isPermanentlyDisabled(hook);
}

export function recordHookSuccess(hook: SimHook): void {
  hook.failures = 0;
  hook.disabledUntil = undefined;
}

export function recordHookFailure(hook: SimHook, now: number): void {
  if (!isExecutable(hook, now)) return;
  const backoffCount = hook.failures - TEMPORARY_THRESHOLD;
  hook.failures = Math.min(hook.failures + 1, PERMANENT_THRESHOLD + 1);
  if (hook.failures > TEMPORARY_THRESHOLD) {
    const backoff = Math.min(Math.max(INITIAL_BACKOFF_MS * 2 ** backoffCount, INITIAL_BACKOFF_MS), MAX_BACKOFF_MS);
    hook.disabledUntil = now + backoff;
  }
}

/** The `alert_status` and `disabled_until` GitLab shows on a hook. */
export function hookAlertStatus(hook: SimHook, now: number) {
  const alertStatus = isTemporarilyDisabled(hook, now)
    ? "temporarily_disabled"
    : isPermanentlyDisabled(hook)
      ? "disabled"
      : "executable";
  const disabledUntil = hook.disabledUntil !== undefined ? new Date(hook.disabledUntil).toISOString() : null;
  return { alertStatus, disabledUntil };
}

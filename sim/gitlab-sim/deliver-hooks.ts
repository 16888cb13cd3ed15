import { randomUUID } from "node:crypto";
import { isExecutable, recordHookFailure, recordHookSuccess } from "./hook-state";
import type { Delivery, HookKind, SimHook } from "./types";

export interface DeliverOptions {
  idempotencyKey?: string;
  eventUuid?: string;
  /** Sent instead of each hook's own secret, to play a misconfigured or forged delivery. */
  token?: string;
}

export interface DeliverContext {
  now: () => number;
  instanceUrl: string;
  timeoutMs: number;
  record: (delivery: Delivery) => void;
}

export interface DeliveryResult {
  hookId: number;
  status: number;
  body: string;
}

const USER_AGENT = "GitLab/17.6.0";

/**
 * WebHookService#execute for one event: every executable hook subscribed to the kind gets its own
 * POST (GitLab runs each in its own Sidekiq job, so they go out concurrently). GitLab never retries;
 * a timeout or a connection error counts as a failure with no status (recorded here as 0).
 */
export async function deliverToHooks(
  hooks: SimHook[],
  kind: HookKind,
  payload: unknown,
  opts: DeliverOptions,
  ctx: DeliverContext,
): Promise<DeliveryResult[]> {
  // X-Gitlab-Event-UUID names the event (shared by all its hooks); X-Gitlab-Webhook-UUID names
  // one request; Idempotency-Key names one hook's delivery and is kept when it is resent.
  const eventUuid = opts.eventUuid ?? randomUUID();
  const subscribed = hooks.filter((h) => (kind === "Pipeline Hook" ? h.pipelineEvents : h.jobEvents));
  const due = subscribed.filter((h) => isExecutable(h, ctx.now()));
  return Promise.all(due.map((hook) => deliverOne(hook, kind, payload, eventUuid, opts, ctx)));
}

async function deliverOne(
  hook: SimHook,
  kind: HookKind,
  payload: unknown,
  eventUuid: string,
  opts: DeliverOptions,
  ctx: DeliverContext,
): Promise<DeliveryResult> {
  const idempotencyKey = opts.idempotencyKey ?? randomUUID();
  const token = opts.token ?? hook.token;
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": USER_AGENT,
    "Idempotency-Key": idempotencyKey,
    "X-Gitlab-Event": kind,
    "X-Gitlab-Webhook-UUID": randomUUID(),
    "X-Gitlab-Instance": ctx.instanceUrl,
    "X-Gitlab-Event-UUID": eventUuid,
    // Sent only when the hook has a secret.
    ...(token ? { "X-Gitlab-Token": token } : {}),
  };
  let status = 0;
  let body = "";
  try {
    const res = await fetch(hook.url, {
      method: "POST",
      headers,
      body: JSON.stringify(payload),
      redirect: "manual",
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    status = res.status;
    body = await res.text();
  } catch (err) {
    body = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const at = ctx.now();
  // GitLab counts 2xx and 3xx as delivered; anything else, 4xx included, as a failure.
  if (status >= 200 && status < 400) recordHookSuccess(hook);
  else recordHookFailure(hook, at);
  ctx.record({ hookId: hook.id, kind, status, at, idempotencyKey, eventUuid });
  return { hookId: hook.id, status, body };
}

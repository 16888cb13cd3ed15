import type { NoisyOptions } from "../sims/protocol";
import { SimsClient } from "../sims/sims-client";
import { ROOT, startApp } from "../support/app-process";
import { round, type Summary } from "../support/stats";
import type { Store } from "../support/stores";

export interface NoisyNeighbourResult extends NoisyOptions {
  /** The quiet installation's hook → status during the flood (statuses received within the window). */
  quietE2eMs: Summary;
  quietSent: number;
  quietLost: number;
  noisySent: number;
  noisyAccepted: number;
  /** Flood hooks answered otherwise (429 past the per-link limit) or not within GitLab's 10 s. */
  noisyRefused: number;
  quietRefused: number;
  /** The flooded installation's statuses received per second during the window. */
  noisyDeliveredPerSecond: number;
  /** The app's settings that shape the result, when not their defaults. */
  env: Record<string, string>;
}

export const NOISY_TARGET_P95_MS = 2_000;

const SETTINGS = [
  "OUTBOX_CONCURRENCY",
  "OUTBOX_PER_INSTALLATION",
  "GITLAB_CALLS_PER_MINUTE",
  "INTAKE_LINK_PER_SECOND",
  "INTAKE_LINK_BURST",
];

/**
 * Issue 17: during a flood of valid hooks on one installation, another installation's statuses must
 * still arrive promptly. A fresh app on its own database, so the other phases' links and backlog stay out.
 *
 * The app runs with its defaults, the per-link intake limit included (INTAKE_LINK_PER_SECOND and
 * INTAKE_LINK_BURST from the shell override it): past that limit the flood is answered 429 at once,
 * which is what keeps intake itself answering the other installation's hooks.
 */
export async function noisyNeighbour(store: Store, opts: NoisyOptions): Promise<NoisyNeighbourResult> {
  const app = await startApp({ databaseUrl: store.url, dir: store.dir });
  const sims = await SimsClient.start(ROOT);
  try {
    const { noisy, quiet } = await sims.noisy(app.url, opts);
    return {
      ...opts,
      quietE2eMs: quiet.e2eInWindowMs,
      quietSent: quiet.sent,
      quietLost: quiet.lost,
      noisySent: noisy.sent,
      noisyAccepted: noisy.accepted,
      noisyRefused: noisy.refused,
      quietRefused: quiet.refused,
      noisyDeliveredPerSecond: round(noisy.receivedInWindow / opts.seconds),
      env: Object.fromEntries(SETTINGS.filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
    };
  } finally {
    await sims.stop();
    await app.stop();
  }
}

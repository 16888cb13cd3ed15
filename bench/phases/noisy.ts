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
  /** The flooded installation's statuses received per second during the window. */
  noisyDeliveredPerSecond: number;
  /** The app's settings that shape the result, as run. */
  env: Record<string, string>;
}

export const NOISY_TARGET_P95_MS = 2_000;

/**
 * Issue 17: during a flood of valid hooks on one installation, another installation's statuses must
 * still arrive promptly. A fresh app on its own database, so the other phases' links and backlog stay out.
 *
 * The per-link intake limit is raised out of reach: it is a last resort, and the point here is what the
 * queue does with a flood it accepted (with the default limit most of the flood would be answered 429).
 */
export async function noisyNeighbour(store: Store, opts: NoisyOptions): Promise<NoisyNeighbourResult> {
  const env = {
    INTAKE_LINK_PER_SECOND: process.env.INTAKE_LINK_PER_SECOND ?? "100000",
    INTAKE_LINK_BURST: process.env.INTAKE_LINK_BURST ?? "100000",
  };
  const app = await startApp({ databaseUrl: store.url, dir: store.dir, env });
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
      noisyDeliveredPerSecond: round(noisy.receivedInWindow / opts.seconds),
      env: {
        ...env,
        ...Object.fromEntries(
          ["OUTBOX_CONCURRENCY", "OUTBOX_PER_INSTALLATION", "GITLAB_CALLS_PER_MINUTE"]
            .filter((k) => process.env[k])
            .map((k) => [k, process.env[k]!]),
        ),
      },
    };
  } finally {
    await sims.stop();
    await app.stop();
  }
}

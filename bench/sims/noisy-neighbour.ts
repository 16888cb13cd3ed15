import { linkRepositories } from "./link-repositories";
import { pacedRun } from "./paced-run";
import type { NoisyOptions, NoisyResult } from "./protocol";
import type { SimWorld } from "./sim-world";

/**
 * Issue 17's scene: two more workspaces install the app, one repository linked in each (its own GitLab
 * project and token). One is flooded with valid Pipeline Hooks while the other sends a few a second; both
 * paced runs go side by side, each timing its own statuses. The flood's run does not wait for its backlog
 * (it would take minutes within its GitLab budget); the quiet one waits `drainMs` for its last statuses.
 */
export async function noisyNeighbour(world: SimWorld, appUrl: string, opts: NoisyOptions): Promise<NoisyResult> {
  const noisy = await linkRepositories(world, appUrl, 1, "noisy-corp");
  const quiet = await linkRepositories(world, appUrl, 1, "quiet-corp");
  const run = (rate: number, targets: typeof noisy.targets, drainMs: number) =>
    pacedRun(world, targets, { rate, seconds: opts.seconds, drainMs, sampleMs: 1_000, maxInFlight: 2_000 });
  const [noisyRun, quietRun] = await Promise.all([
    run(opts.noisyRate, noisy.targets, 0),
    run(opts.quietRate, quiet.targets, opts.drainMs),
  ]);
  return { noisy: noisyRun, quiet: quietRun };
}

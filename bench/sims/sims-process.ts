/**
 * The simulators' own process (started by sims-client.ts): Bitbucket and GitLab, plus the GitLab-side
 * event source of the end-to-end runs, answering the driver's commands over IPC. Kept apart from the load
 * generator so autocannon's busy loop never delays a simulator's answer, and so each side's CPU can be
 * read from /proc on its own.
 */
import { linkRepositories } from "./link-repositories";
import { noisyNeighbour } from "./noisy-neighbour";
import { pacedRun, type HookTarget } from "./paced-run";
import type { Command, Reply } from "./protocol";
import { PushSyncRepos } from "./push-sync-run";
import { reportsRun } from "./reports-run";
import { SimWorld } from "./sim-world";

async function main(): Promise<void> {
  const world = await SimWorld.start();
  let targets: HookTarget[] = [];
  const pushSync = new PushSyncRepos(world);

  const handle = async (command: Command): Promise<unknown> => {
    switch (command.cmd) {
      case "setup": {
        const linked = await linkRepositories(world, command.appUrl, command.links);
        // Several instances of one deployment: each link's hooks go to one of them, in turn.
        const origins = (command.hookUrls ?? []).map((u) => new URL(u).origin);
        targets = linked.targets.map((t, i) =>
          origins.length ? { ...t, url: origins[i % origins.length] + new URL(t.url).pathname } : t,
        );
        return linked.info;
      }
      case "run":
        if (targets.length === 0) throw new Error("run before setup");
        return pacedRun(world, targets, command.opts);
      case "reports":
        if (targets.length === 0) throw new Error("reports before setup");
        return reportsRun(world, targets[0]!, command.opts);
      case "noisy":
        return noisyNeighbour(world, command.appUrl, command.opts);
      case "pushSyncSetup":
        return pushSync.setup(command.appUrl, command.repos);
      case "pushSyncSeries":
        return pushSync.series(command.opts);
      case "counters":
        return { ...world.counters };
      case "stop":
        await world.close();
        setImmediate(() => process.exit(0));
        return null;
    }
  };

  process.on("message", (message: { id: number; command: Command }) => {
    handle(message.command).then(
      (result) => process.send!({ id: message.id, ok: true, result } satisfies Reply),
      (err: unknown) =>
        process.send!({
          id: message.id,
          ok: false,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies Reply),
    );
  });
  process.send!({ id: 0, ok: true, result: "ready" } satisfies Reply);
}

main().catch((err: unknown) => {
  process.stderr.write(`sims: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

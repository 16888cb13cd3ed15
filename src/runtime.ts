import type http from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app";
import { createServer } from "./http/create-server";
import type { Config } from "./config";
import { createDeps } from "./create-deps";
import type { Deps } from "./deps";
import type { Logger } from "./logger";
import type { OutboxWorker } from "./outbox/worker";
import { Reconciler } from "./sync/reconciler";
import { ForgeReaper } from "./forge/forge-reaper";
import { Retention } from "./sync/retention";

export interface Runtime {
  url: string;
  deps: Deps;
  worker: OutboxWorker;
  reconciler: Reconciler;
  retention: Retention;
  /** The Forge edition's uninstall check (null when FORGE_APP_ID is unset). */
  forgeReaper: ForgeReaper | null;
  server: http.Server;
  /** Stops intake, lets deliveries in flight finish within the deadline, closes the database. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Listens, then builds everything. With port 0 (tests, the sandbox) the public base URL is only known
 * once listening, and Bitbucket must be told the real one in the descriptor.
 */
export async function startRuntime(config: Config, log: Logger, opts: { worker?: boolean } = {}): Promise<Runtime> {
  // Until the app is built (migrations run first), requests are answered 503 rather than left hanging.
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { "Content-Type": "application/json", "Retry-After": "1" });
    res.end(JSON.stringify({ error: { code: "starting", message: "The app is starting" } }));
  };
  const server = createServer(config.server, (req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(config.port, config.host, resolve));
  const port = (server.address() as AddressInfo).port;
  const effective = config.port === 0 ? { ...config, baseUrl: `http://127.0.0.1:${port}` } : config;

  const deps = await createDeps(effective, log);
  const worker = deps.worker;
  const app = await createApp(deps);
  handler = app;
  const reconciler = new Reconciler({
    outbox: deps.outbox,
    wake: deps.worker,
    debounceMs: effective.mirrorDebounceMs,
    posted: deps.posted,
    links: deps.links,
    log: deps.log,
    reconcile: effective.reconcile,
    sweeps: deps.sweeps,
    catchUp: effective.catchUp,
  });
  const retention = new Retention({
    outbox: deps.outbox,
    deliveries: deps.deliveries,
    pullRequests: deps.pullRequests,
    log: deps.log,
    everyMs: effective.retentionEveryMs,
  });
  const forge = effective.forge;
  const forgeReaper = forge
    ? new ForgeReaper({
        ...deps,
        options: { goneAfterMs: forge.goneAfterMs, eraseAfterMs: forge.eraseAfterMs, everyMs: forge.reapEveryMs },
      })
    : null;
  if (opts.worker !== false) {
    worker.start();
    reconciler.start();
    retention.start();
    forgeReaper?.start();
  }
  log.info({ port, host: config.host ?? "all interfaces", baseUrl: effective.baseUrl, mode: config.env }, "listening");

  let stopping: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    worker,
    reconciler,
    retention,
    forgeReaper,
    server,
    stop: (deadlineMs = 10_000) =>
      (stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        reconciler.stop();
        retention.stop();
        forgeReaper?.stop();
        await worker.stop(deadlineMs);
        server.closeAllConnections();
        await closed;
        await deps.sequelize.close();
      })()),
  };
}

import express from "express";
import { migrator } from "../db/migrator";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { handle } from "./handle";
import { metricsAllowed } from "./metrics";

/**
 * Operations endpoints, outside every auth wall but /metrics: /healthz (the database answers),
 * /readyz (migrations applied and the outbox worker running: this instance can take traffic and
 * deliver), /metrics (Prometheus, behind METRICS_TOKEN; off when it is unset).
 */
export function opsRouter(deps: Deps) {
  const router = express.Router();
  let migrated = false;

  router.get(
    "/healthz",
    handle(async (_req, res) => {
      await deps.sequelize.query("SELECT 1");
      res.json({ ok: true });
    }),
  );

  router.get(
    "/readyz",
    handle(async (_req, res) => {
      migrated ||= (await migrator(deps.sequelize).pending()).length === 0;
      const worker = deps.worker.isRunning;
      res.status(migrated && worker ? 200 : 503).json({
        ready: migrated && worker,
        migrations: migrated ? "applied" : "pending",
        worker: worker ? "running" : "stopped",
      });
    }),
  );

  router.get(
    "/metrics",
    handle(async (req, res) => {
      if (!deps.config.metricsToken) throw new AppError("not_found", 404, "Metrics are off; set METRICS_TOKEN");
      if (!metricsAllowed(deps.config.metricsToken, req.headers.authorization))
        throw new AppError("unauthorized", 401, "Bearer token required");
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    }),
  );

  return router;
}

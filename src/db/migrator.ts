import { SequelizeStorage, Umzug } from "umzug";
import type { Sequelize } from "sequelize";
import type { Logger } from "../logger";
import * as initial from "./migrations/0001-initial";
import * as healthBudgetsAudit from "./migrations/0002-health-budgets-audit";
import * as linkEvents from "./migrations/0003-link-events";
import * as workspaceDefaults from "./migrations/0004-workspace-defaults";
import * as tenantOwnedRows from "./migrations/0005-tenant-owned-rows";
import * as scopedDeliveries from "./migrations/0006-scoped-deliveries";
import * as forgeInstallations from "./migrations/0007-forge-installations";
import * as pushSync from "./migrations/0008-push-sync";
import * as outboxLanes from "./migrations/0010-outbox-lanes";
import * as linkSweeps from "./migrations/0011-link-sweeps";
import * as codeInsights from "./migrations/0012-code-insights";
import * as pullRequestPipelines from "./migrations/0013-pull-request-pipelines";
import * as cacheAffinity from "./migrations/0014-cache-affinity";
import * as forgeRest from "./migrations/0015-forge-rest";
import * as workspaceSettings from "./migrations/0019-workspace-settings";
import * as forgeSuspected from "./migrations/0021-forge-suspected";

// Listed, not globbed: the same list works from TypeScript sources and from the compiled dist/.
const MIGRATIONS = [
  { name: "0001-initial", ...initial },
  { name: "0002-health-budgets-audit", ...healthBudgetsAudit },
  { name: "0003-link-events", ...linkEvents },
  { name: "0004-workspace-defaults", ...workspaceDefaults },
  { name: "0005-tenant-owned-rows", ...tenantOwnedRows },
  { name: "0006-scoped-deliveries", ...scopedDeliveries },
  { name: "0007-forge-installations", ...forgeInstallations },
  { name: "0008-push-sync", ...pushSync },
  { name: "0010-outbox-lanes", ...outboxLanes },
  { name: "0011-link-sweeps", ...linkSweeps },
  { name: "0012-code-insights", ...codeInsights },
  { name: "0013-pull-request-pipelines", ...pullRequestPipelines },
  { name: "0014-cache-affinity", ...cacheAffinity },
  { name: "0015-forge-rest", ...forgeRest },
  { name: "0019-workspace-settings", ...workspaceSettings },
  { name: "0021-forge-suspected", ...forgeSuspected },
];

export function migrator(sequelize: Sequelize, log?: Logger) {
  return new Umzug({
    migrations: MIGRATIONS.map((m) => ({ name: m.name, up: m.up, down: m.down })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: "schema_migrations" }),
    logger: log
      ? { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m), debug: (m) => log.debug(m) }
      : undefined,
  });
}

const MIGRATION_LOCK = 7_274_351;

/**
 * Applies every pending migration; safe to call at every start. On PostgreSQL several instances may
 * start at once: an advisory lock, held by a transaction for the duration, lets one migrate while the
 * others wait and then find nothing left to do.
 */
export async function migrate(sequelize: Sequelize, log?: Logger): Promise<void> {
  if (sequelize.getDialect() !== "postgres") return void (await migrator(sequelize, log).up());
  await sequelize.transaction(async (transaction) => {
    await sequelize.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`, { transaction });
    await migrator(sequelize, log).up();
  });
}

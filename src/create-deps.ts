import { TenantCache } from "./bitbucket/tenant-cache";
import type { Config } from "./config";
import { openDatabase } from "./db/database";
import { AuditLog } from "./db/audit-log";
import { Deliveries } from "./db/deliveries";
import { LinkEvents } from "./db/link-events";
import { Links } from "./db/links";
import { LinkCache } from "./links/link-cache";
import { migrate } from "./db/migrator";
import { PostedStatuses } from "./db/posted-statuses";
import { Tenants } from "./db/tenants";
import type { Deps } from "./deps";
import { gitlabClients } from "./gitlab/gitlab-clients";
import { guardedDispatcher } from "./gitlab/guarded-dispatcher";
import { Metrics } from "./http/metrics";
import type { Logger } from "./logger";
import { Outbox } from "./outbox/outbox";
import { TenantBudget } from "./outbox/tenant-budget";
import { SecretBox } from "./security/secret-box";
import { WorkspaceDefaults } from "./db/workspace-defaults";

/** Opens the database, applies migrations, and builds the stores every part shares. */
export async function createDeps(config: Config, log: Logger): Promise<Deps> {
  const sequelize = await openDatabase(config.databaseUrl, log);
  await migrate(sequelize, log);
  const box = new SecretBox(config.encryptionKeys);
  const links = new Links(sequelize, box);
  const outbox = new Outbox(sequelize, config.outbox.leaseMs);
  return {
    config,
    log,
    sequelize,
    box,
    tenants: new TenantCache(new Tenants(sequelize, box)),
    links,
    linkCache: new LinkCache(links),
    outbox,
    metrics: new Metrics(outbox),
    workerRunning: () => false,
    deliveries: new Deliveries(sequelize),
    posted: new PostedStatuses(sequelize),
    budget: new TenantBudget(sequelize, config.bitbucketBudget),
    workspaceDefaults: new WorkspaceDefaults(sequelize, box),
    events: new LinkEvents(sequelize),
    audit: new AuditLog(sequelize),
    // Outside production the simulators live on loopback; in production every GitLab connection is checked.
    gitlab: gitlabClients(
      config.httpTimeoutMs,
      config.allowPrivateHosts ? undefined : guardedDispatcher(config.gitlabAllowedHosts, config.httpTimeoutMs),
    ),
    kick: () => undefined,
    kickIn: () => undefined,
  };
}

import type { Sequelize } from "sequelize";
import type { TenantCache } from "./bitbucket/tenant-cache";
import type { Config } from "./config";
import type { AuditLog } from "./db/audit-log";
import type { Deliveries } from "./db/deliveries";
import type { LinkEvents } from "./db/link-events";
import type { Links } from "./db/links";
import type { LinkCache } from "./links/link-cache";
import type { PostedStatuses } from "./db/posted-statuses";
import type { GitLabApi } from "./gitlab/gitlab-api";
import type { Metrics } from "./http/metrics";
import type { Logger } from "./logger";
import type { Outbox } from "./outbox/outbox";
import type { TenantBudget } from "./outbox/tenant-budget";
import type { SecretBox } from "./security/secret-box";
import type { WorkspaceDefaults } from "./db/workspace-defaults";

/** What the parts of the app are built from; made once in `createDeps` and handed to routers and workers. */
export interface Deps {
  config: Config;
  log: Logger;
  sequelize: Sequelize;
  box: SecretBox;
  tenants: TenantCache;
  links: Links;
  linkCache: LinkCache;
  outbox: Outbox;
  deliveries: Deliveries;
  posted: PostedStatuses;
  budget: TenantBudget;
  /** Each workspace's default GitLab address and token (issue 5). */
  workspaceDefaults: WorkspaceDefaults;
  events: LinkEvents;
  audit: AuditLog;
  /** A GitLab client for a host and token (cached). */
  gitlab: (host: string, token: string) => GitLabApi;
  metrics: Metrics;
  /** Whether this instance's outbox worker runs (for /readyz); set by the runtime. */
  workerRunning: () => boolean;
  /** Wakes this instance's outbox worker after intake wrote work, so delivery starts at once. */
  kick: () => void;
  /** Wakes the worker in `ms` (work written to run later, e.g. a debounced mirror trigger). */
  kickIn: (ms: number) => void;
}

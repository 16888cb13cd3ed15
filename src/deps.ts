import type { Sequelize } from "sequelize";
import type { TenantCache } from "./connect/tenant-cache";
import type { Config } from "./config";
import type { AuditLog } from "./db/audit-log";
import type { Deliveries } from "./db/deliveries";
import type { ForgeInstallations } from "./db/forge-installations";
import type { LinkEvents } from "./db/link-events";
import type { LinkSweeps } from "./db/link-sweeps";
import type { Links } from "./db/links";
import type { PostedStatuses } from "./db/posted-statuses";
import type { PublishedReports } from "./db/published-reports";
import type { PushedRefs } from "./db/pushed-refs";
import type { PullRequests } from "./db/pull-requests";
import type { WorkspaceDefaults } from "./db/workspace-defaults";
import type { WorkspaceSettings } from "./db/workspace-settings";
import type { GitCache } from "./git/git-cache";
import type { GitLabFor } from "./gitlab/gitlab-clients";
import type { GitLabHostPolicy } from "./gitlab/host-policy";
import type { Metrics } from "./http/metrics";
import type { FindInstallation } from "./installations/installation";
import type { LinkCache } from "./links/link-cache";
import type { MirrorCredentials } from "./links/mirror-credentials";
import type { Logger } from "./logger";
import type { Outbox } from "./outbox/outbox";
import type { TenantBudget } from "./outbox/tenant-budget";
import type { RepositoryTokens } from "./sync/git-remotes";
import type { OutboxWorker } from "./outbox/worker";
import type { SecretBox } from "./security/secret-box";

/**
 * What the parts of the app are built from; made once in `createDeps`. Only the composition root and
 * the router factories take it whole: use cases declare the few parts they use (`Pick<Deps, …>` or an
 * interface of their own).
 */
export interface Deps {
  config: Config;
  log: Logger;
  sequelize: Sequelize;
  box: SecretBox;
  /** Connect tenants (src/connect/); the rest of the app sees installations. */
  tenants: TenantCache;
  /** Forge installations and their system tokens (src/forge/). */
  forgeInstallations: ForgeInstallations;
  /** The installation a row belongs to, whichever edition it came through. */
  findInstallation: FindInstallation;
  links: Links;
  linkCache: LinkCache;
  outbox: Outbox;
  /** This instance's outbox worker: intake wakes it after writing work; /readyz asks whether it runs. */
  worker: OutboxWorker;
  deliveries: Deliveries;
  posted: PostedStatuses;
  budget: TenantBudget;
  /** Each workspace's default GitLab address and token. */
  workspaceDefaults: WorkspaceDefaults;
  events: LinkEvents;
  /** The catch-up sweep's schedule and high-water marks per link. */
  sweeps: LinkSweeps;
  /** The Code Insights reports published, per link and commit. */
  published: PublishedReports;
  audit: AuditLog;
  /** Each workspace's own settings (its allowed GitLab hosts). */
  workspaceSettings: WorkspaceSettings;
  /** The allowed-hosts check every GitLab client and git command of a workspace passes (cached 10 s). */
  gitlabHosts: GitLabHostPolicy;
  /** A GitLab client for a host and token, on a workspace's behalf (cached; checked against its allowed hosts). */
  gitlab: GitLabFor;
  mirrorCredentials: MirrorCredentials;
  metrics: Metrics;
  /** Push sync: the GitLab refs the app pushed, the bare caches, and the reach check run before each git command. */
  pushedRefs: PushedRefs;
  pullRequests: PullRequests;
  gitCache: GitCache;
  /** Bitbucket read tokens for git, held until shortly before they end (push sync and its sweep). */
  repositoryTokens: RepositoryTokens;
  reachGitLab: (gitlabUrl: string, clientKey: string) => Promise<void>;
}

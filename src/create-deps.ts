import type { Config } from "./config";
import { connectInstallations } from "./connect/connect-installation";
import { TenantCache } from "./connect/tenant-cache";
import { AuditLog } from "./db/audit-log";
import { openDatabase } from "./db/database";
import { Deliveries } from "./db/deliveries";
import { ForgeInstallations } from "./db/forge-installations";
import { DirectSql } from "./db/direct-sql";
import { LinkEvents } from "./db/link-events";
import { LinkSweeps } from "./db/link-sweeps";
import { Links } from "./db/links";
import { migrate } from "./db/migrator";
import { PostedStatuses } from "./db/posted-statuses";
import { PublishedReports } from "./db/published-reports";
import { Tenants } from "./db/tenants";
import { WorkspaceDefaults } from "./db/workspace-defaults";
import { WorkspaceSettings } from "./db/workspace-settings";
import type { Deps } from "./deps";
import { forgeInstallations } from "./forge/forge-installation";
import { PushedRefs } from "./db/pushed-refs";
import { PullRequests } from "./db/pull-requests";
import { AppError, PeerFailure } from "./errors";
import { GitCache } from "./git/git-cache";
import { RepositoryTokens } from "./sync/git-remotes";
import { gitlabClients } from "./gitlab/gitlab-clients";
import { gitlabDispatcher } from "./gitlab/gitlab-dispatcher";
import { GitLabHostPolicy } from "./gitlab/host-policy";
import { Metrics } from "./http/metrics";
import { FORGE_KEY_PREFIX, type FindInstallation } from "./installations/installation";
import { checkGitLabUrl } from "./links/gitlab-url";
import { LinkCache } from "./links/link-cache";
import { MirrorCredentials } from "./links/mirror-credentials";
import type { Logger } from "./logger";
import { Outbox } from "./outbox/outbox";
import { TenantBudget } from "./outbox/tenant-budget";
import { OutboxWorker } from "./outbox/worker";
import { SecretBox } from "./security/secret-box";
import { deliverers, BITBUCKET_BUDGETED_KINDS, GIT_CACHE_KINDS } from "./sync/deliverers";

/**
 * The composition root: opens the database, applies migrations, builds the stores, the installations of
 * both editions, the queue and its worker with every use case's deliverer registered.
 */
export async function createDeps(config: Config, log: Logger): Promise<Deps> {
  const sequelize = await openDatabase(config.databaseUrl, log);
  await migrate(sequelize, log);
  const sql = DirectSql.for(sequelize);
  const box = new SecretBox(config.encryptionKeys);
  const links = new Links(sequelize, box);
  const gitCache = new GitCache(config.gitCache.dir, config.gitCache.maxBytes, config.gitCache.timeoutMs);
  const outbox = new Outbox(sql, config.outbox.leaseMs, BITBUCKET_BUDGETED_KINDS, config.outbox.perInstallation, {
    instanceId: gitCache.identity(),
    kinds: GIT_CACHE_KINDS,
    headStartMs: config.gitCache.headStartMs,
    // The worker beats once per poll while it runs; three missed beats and it is taken for gone.
    liveMs: 3 * config.outbox.pollMs,
  });
  const metrics = new Metrics(outbox, () => sql.statements);
  const tenants = new TenantCache(new Tenants(sequelize, box));
  const onBitbucketStatus = (status: number) => metrics.peerResponses.inc({ peer: "bitbucket", status: String(status) });
  const connect = connectInstallations(tenants, {
    appKey: config.appKey,
    timeoutMs: config.httpTimeoutMs,
    insightsAuth: config.codeInsightsAuth,
    onBitbucketStatus,
  });
  const forgeStore = new ForgeInstallations(sequelize, box);
  const forge = forgeInstallations(forgeStore, {
    timeoutMs: config.httpTimeoutMs,
    tokenWaitMs: config.forge?.tokenWaitMs ?? 60_000,
    onBitbucketStatus,
  });
  // One key space, two editions: Forge installations' keys carry their prefix, Connect's never do.
  const findInstallation: FindInstallation = (key) => (key.startsWith(FORGE_KEY_PREFIX) ? forge(key) : connect(key));
  const budget = new TenantBudget(sql, config.bitbucketBudget);
  const events = new LinkEvents(sequelize);
  const worker = new OutboxWorker(
    outbox,
    new Map(),
    config.outbox,
    log.child({ component: "outbox" }),
    async (item, outcome, summary, durationMs) => {
      metrics.deliveries.observe({ kind: item.kind, outcome }, (Date.now() - item.createdAt) / 1000);
      if (item.linkId)
        await events.record(item.linkId, item.clientKey, { at: Date.now(), kind: item.kind, outcome, summary, durationMs });
    },
  );
  const workspaceSettings = new WorkspaceSettings(sequelize);
  const gitlabHosts = new GitLabHostPolicy(async (clientKey) => (await workspaceSettings.get(clientKey)).allowedGitLabHosts);
  const deps: Deps = {
    config,
    log,
    sequelize,
    box,
    tenants,
    forgeInstallations: forgeStore,
    findInstallation,
    links,
    linkCache: new LinkCache(links),
    outbox,
    worker,
    metrics,
    deliveries: new Deliveries(sequelize),
    posted: new PostedStatuses(sequelize),
    budget,
    workspaceDefaults: new WorkspaceDefaults(sequelize, box),
    workspaceSettings,
    gitlabHosts,
    events,
    audit: new AuditLog(sequelize),
    sweeps: new LinkSweeps(sequelize),
    published: new PublishedReports(sequelize),
    // Every GitLab answer is capped; in production every GitLab connection is checked too.
    gitlab: gitlabClients(
      config.httpTimeoutMs,
      gitlabDispatcher({
        allowPrivate: config.allowPrivateHosts,
        allowedHosts: config.gitlabAllowedHosts,
        timeoutMs: config.httpTimeoutMs,
      }),
      config.gitlabBudget,
      (clientKey, host) => gitlabHosts.check(clientKey, host),
    ),
    mirrorCredentials: new MirrorCredentials({ findInstallation, budget, adoptedFrom: (id) => links.adoptedFrom(id) }),
    pushedRefs: new PushedRefs(sequelize),
    pullRequests: new PullRequests(sequelize),
    gitCache,
    repositoryTokens: new RepositoryTokens(),
    // git makes its own connections: the same private-address rules as the HTTP clients, checked just before.
    reachGitLab: async (gitlabUrl, clientKey) => {
      await gitlabHosts.check(clientKey, gitlabUrl);
      const rules = { allowPrivate: config.allowPrivateHosts, allowedHosts: config.gitlabAllowedHosts, requireHttps: false };
      await checkGitLabUrl(gitlabUrl, rules).catch((e: AppError) => {
        // A name that does not resolve now may resolve later; one that resolves into a private network is refused.
        const transient = e.code === "gitlab_unreachable";
        throw new PeerFailure({ peer: "gitlab", message: `GitLab's address cannot be used now: ${e.message}`, transient });
      });
    },
  };
  for (const [kind, deliver] of deliverers(deps)) worker.register(kind, deliver);
  return deps;
}

import type { Deps } from "../deps";
import type { Deliverer } from "../outbox/worker";
import { CATCH_UP, catchUp } from "./catch-up";
import { PUBLISH_REPORTS, publishReports } from "./publish-reports";
import { PR_PIPELINES, prPipelines } from "./pr-pipelines";
import { PUSH_REFS, pushRefs } from "./push-refs";
import { STATUS_SYNC, syncStatuses } from "./sync-statuses";
import { MIRROR_TRIGGER, triggerMirror } from "./trigger-mirror";

/** Kinds of work that run in the link's git cache: the claim prefers the instance holding it warm. */
export const GIT_CACHE_KINDS = [PUSH_REFS, PR_PIPELINES];

/** Kinds of work that spend the installation's Bitbucket budget (the queue holds them while it is spent). */
export const BITBUCKET_BUDGETED_KINDS = [STATUS_SYNC];

/** Every kind of work and its deliverer, each given only the parts it uses. */
export function deliverers(deps: Deps): Array<[string, Deliverer]> {
  return [
    [MIRROR_TRIGGER, triggerMirror({ links: deps.links, gitlab: deps.gitlab, credentials: deps.mirrorCredentials })],
    [
      PUSH_REFS,
      pushRefs({
        links: deps.links,
        pushedRefs: deps.pushedRefs,
        findInstallation: deps.findInstallation,
        budget: deps.budget,
        tokens: deps.repositoryTokens,
        gitlab: deps.gitlab,
        cache: deps.gitCache,
        reach: deps.reachGitLab,
        gitTimeoutMs: deps.config.gitCache.timeoutMs,
      }),
    ],
    [
      PR_PIPELINES,
      prPipelines({
        linkCache: deps.linkCache,
        tokens: deps.repositoryTokens,
        pullRequests: deps.pullRequests,
        posted: deps.posted,
        budget: deps.budget,
        findInstallation: deps.findInstallation,
        gitlab: deps.gitlab,
        cache: deps.gitCache,
        reach: deps.reachGitLab,
        gitTimeoutMs: deps.config.gitCache.timeoutMs,
      }),
    ],
    [
      STATUS_SYNC,
      syncStatuses({
        linkCache: deps.linkCache,
        links: deps.links,
        posted: deps.posted,
        budget: deps.budget,
        findInstallation: deps.findInstallation,
        gitlab: deps.gitlab,
        reports: { outbox: deps.outbox, wake: deps.worker },
        onGitLabStatus: (status) => deps.metrics.peerResponses.inc({ peer: "gitlab", status: String(status) }),
        pullRequests: deps.pullRequests,
      }),
    ],
    [
      PUBLISH_REPORTS,
      publishReports({
        linkCache: deps.linkCache,
        published: deps.published,
        budget: deps.budget,
        findInstallation: deps.findInstallation,
        gitlab: deps.gitlab,
        statusReserve: deps.config.statusReserve,
        maxWaitMs: deps.config.reportsMaxWaitMs,
      }),
    ],
    [
      CATCH_UP,
      catchUp({
        links: deps.links,
        sweeps: deps.sweeps,
        posted: deps.posted,
        pullRequests: deps.pullRequests,
        outbox: deps.outbox,
        wake: deps.worker,
        gitlab: deps.gitlab,
        options: deps.config.catchUp,
        refs: {
          links: deps.links,
          pushedRefs: deps.pushedRefs,
          findInstallation: deps.findInstallation,
          budget: deps.budget,
          tokens: deps.repositoryTokens,
          reach: deps.reachGitLab,
          scratchDir: deps.gitCache.root,
          gitTimeoutMs: deps.config.gitCache.timeoutMs,
        },
      }),
    ],
  ];
}

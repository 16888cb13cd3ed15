import { gitlabPage, gitlabWebUrl } from "../core/gitlab-web-url";
import type { Link } from "../db/links";

/**
 * A link as the settings page sees it: never the token nor the webhook secret. `heardAt`: when GitLab last
 * reached us, from lastHeardAt (the activity's clock), where the caller read it.
 */
export function linkView(link: Link, heardAt: number | null = link.webhookLastReceivedAt) {
  return {
    repoUuid: link.repoUuid,
    gitlabUrl: link.gitlabUrl,
    projectId: link.projectId,
    projectPath: link.projectPath,
    // Checked again on the way out: links saved before GitLab's URLs were checked may hold anything.
    projectWebUrl: gitlabWebUrl(link.projectWebUrl, link.gitlabUrl, gitlabPage(link.gitlabUrl, link.projectPath)),
    statusMode: link.statusMode,
    /** GitLab's test, coverage and findings reports are published as Code Insights. */
    reports: link.reports,
    tokenHint: link.tokenHint,
    /** "workspace": the link uses the workspace's default token (and follows it when it changes). */
    tokenSource: link.tokenSource,
    /** The app created the GitLab project and renews its mirror's Bitbucket credentials before each trigger. */
    mirrorManaged: link.managesMirror,
    webhookRegistered: link.webhookId != null,
    mirror: link.mirrorState,
    /** "push": the app pushes each push's refs to GitLab; "mirror": it asks GitLab's pull mirror to update. */
    sync: link.sync,
    /** The latest push sync: when, which refs, how long, and what went wrong in plain words. */
    lastSync: link.lastSync,
    /** Merge-result pipelines for the repository's pull requests (push sync only). */
    pullRequestPipelines: link.pullRequestPipelines,
    /** Pull requests from forks in the same workspace get them too. */
    pullRequestForks: link.pullRequestForks,
    webhookLastReceivedAt: iso(heardAt),
    /** Set when reconciliation found a result GitLab's webhook never told us: the hook may be broken. */
    webhookMissedAt: iso(link.webhookMissedAt),
    createdAt: link.createdAt.toISOString(),
    updatedAt: link.updatedAt.toISOString(),
  };
}

export const webhookUrl = (baseUrl: string, linkId: string) => `${baseUrl}/webhooks/gitlab/${linkId}`;

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

import type { Link } from "../db/links";

/** A link as the settings page sees it: never the token nor the webhook secret. */
export function linkView(link: Link) {
  return {
    repoUuid: link.repoUuid,
    gitlabUrl: link.gitlabUrl,
    projectId: link.projectId,
    projectPath: link.projectPath,
    projectWebUrl: link.projectWebUrl,
    statusMode: link.statusMode,
    tokenHint: link.tokenHint,
    webhookRegistered: link.webhookId != null,
    mirror: link.mirrorState,
    createdAt: link.createdAt.toISOString(),
    updatedAt: link.updatedAt.toISOString(),
  };
}

export const webhookUrl = (baseUrl: string, linkId: string) => `${baseUrl}/webhooks/gitlab/${linkId}`;

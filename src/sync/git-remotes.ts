import type { Link, Links } from "../db/links";
import { WorkAbandoned } from "../errors";
import type { GitCredential } from "../git/git-env";
import type { FindInstallation, Installation } from "../installations/installation";
import type { TenantBudget } from "../outbox/tenant-budget";

/** The two ends of a push sync: Bitbucket's git URL with the app's read token, GitLab's with the link's token. */
export interface GitRemotes {
  bitbucket: GitCredential;
  gitlab: GitCredential;
}

export interface GitRemotesCollaborators {
  findInstallation: FindInstallation;
  links: Pick<Links, "setRepoFullName">;
  budget: Pick<TenantBudget, "spend">;
  tokens: RepositoryTokens;
}

// A held token this close to its end is minted again: a fetch could outlive it.
const MARGIN_MS = 10 * 60_000;

/**
 * Bitbucket read tokens for git, held per installation and repository until shortly before they end, so
 * a sweep's ref listing and each sync do not mint a token every time (one mint per repository about every
 * 110 minutes, per instance). They stay in this process: git gets them through its environment only,
 * and nothing here is handed to GitLab (the pull mirror's credentials always get a fresh token).
 */
export class RepositoryTokens {
  private readonly held = new Map<string, { token: string; expiresAt: number }>();

  async get(installation: Installation, repoUuid: string): Promise<string> {
    const key = `${installation.key}\n${repoUuid}`;
    const now = Date.now();
    const found = this.held.get(key);
    if (found && found.expiresAt - MARGIN_MS > now) return found.token;
    const { token, expiresAt } = await installation.repositoryToken(repoUuid);
    // Forge's system token is re-read from the database each time (a fresh one may have come): not held.
    if (installation.edition === "connect") {
      if (this.held.size > 50_000) this.held.clear();
      this.held.set(key, { token, expiresAt });
    }
    return token;
  }

  /** Git said the token was refused: the next use mints a new one. */
  forget(installation: Installation, repoUuid: string): void {
    this.held.delete(`${installation.key}\n${repoUuid}`);
  }
}

/**
 * Where git reads and writes for a link. The git host is Bitbucket's web host (bitbucket.org), not its API
 * host; the path is the repository's full name. A Forge link is made without one (Forge's events and pages
 * carry only uuids), so it is read once with `GET /2.0/repositories/{workspace}/{repository}` as the app
 * and kept on the link.
 */
export async function gitRemotes(
  c: GitRemotesCollaborators,
  link: Link,
): Promise<GitRemotes & { installation: Installation; fullName: string }> {
  const installation = await c.findInstallation(link.clientKey);
  if (!installation) throw new WorkAbandoned("The app is no longer installed in this workspace");
  let fullName: string;
  if (link.repoFullName) fullName = link.repoFullName;
  else {
    const repo = await c.budget.spend(installation.key, () =>
      installation.bitbucket.repository(installation.workspaceUuid, link.repoUuid),
    );
    fullName = repo.fullName;
    await c.links.setRepoFullName(link.id, fullName);
  }
  const token = await c.tokens.get(installation, link.repoUuid);
  return {
    installation,
    fullName,
    bitbucket: { url: bitbucketGitUrl(installation.webBaseUrl, fullName), user: "x-token-auth", password: token },
    // Any non-blank user name goes with a GitLab token.
    gitlab: { url: `${link.gitlabUrl}/${link.projectPath}.git`, user: "gitlab-ci-for-bitbucket", password: link.token },
  };
}

/** A Bitbucket `workspace/slug`: what may go into a git URL (no `.` or `..` parts, nothing else). */
export const isRepositoryFullName = (name: string) =>
  /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(name) && !/(^|\/)\.\.?($|\/)/.test(name);

export const bitbucketGitUrl = (webBaseUrl: string, fullName: string) =>
  `${webBaseUrl.replace(/\/+$/, "")}/${fullName.split("/").map(encodeURIComponent).join("/")}.git`;

import type { Link } from "../db/links";
import { PeerFailure, WorkAbandoned } from "../errors";
import { gitlabFailure, statusOf, type GitLabApi } from "../gitlab/gitlab-api";
import type { AccessToken, FindInstallation, Installation } from "../installations/installation";
import type { TenantBudget } from "../outbox/tenant-budget";

/** Bitbucket's user name for access-token clones. */
export const TOKEN_USER = "x-token-auth";

/** The repository's HTTPS clone URL, without credentials: `{baseUrl}/{workspace}/{repo}.git`. */
export function cloneUrl(baseUrl: string, repoFullName: string): string {
  const path = repoFullName
    .split("/")
    .map((part) => encodeURIComponent(part))
    .join("/");
  return `${baseUrl.replace(/\/+$/, "")}/${path}.git`;
}

/** The clone URL with an access token in it: what GitLab keeps as the mirror's import URL. Never log it. */
export function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.username = TOKEN_USER;
  u.password = token;
  return u.toString();
}

/**
 * The Bitbucket credentials GitLab's pull mirror clones with, for projects the app created: a token bound
 * to the one repository, read-only, living 2 hours. GitLab keeps it; we keep none, and never log it.
 */
export class MirrorCredentials {
  constructor(
    private readonly c: {
      findInstallation: FindInstallation;
      budget: TenantBudget;
      /** The Connect tenant a Forge installation adopted the link from (links.adopted_from), if any. */
      adoptedFrom?: (linkId: string) => Promise<string | null>;
    },
  ) {}

  /**
   * Mints a token GitLab may hold for this repository, drawing one call from the installation's Bitbucket
   * budget (a 429 pauses the installation like a status post does).
   */
  async mint(installation: Installation, repoUuid: string): Promise<AccessToken> {
    const token = await this.c.budget.spend(installation.key, () => installation.repositoryToken(repoUuid));
    // Forge's system token opens the whole workspace: it is never given to GitLab (push sync is the way).
    if (!token.shareable) throw new WorkAbandoned("This installation has no repository-bound token to give GitLab's mirror");
    return token;
  }

  /**
   * Who mints the mirror's token: the link's installation, unless it is a Forge installation, whose system
   * token never goes to GitLab. A link it adopted from the Connect edition (issue 11, item 8) was made with
   * a pull mirror the Connect tenant fed with repository-bound tokens: that tenant keeps feeding it while it
   * is installed, as it keeps finishing the statuses it created. Once it is gone, nobody can: push sync is
   * the way, and the trigger's error says so on the settings page.
   */
  private async issuer(link: Link): Promise<Installation> {
    const own = await this.c.findInstallation(link.clientKey);
    if (!own) throw new WorkAbandoned("The app is no longer installed in this workspace");
    if (own.edition !== "forge") return own;
    const from = await this.c.adoptedFrom?.(link.id);
    const connect = from ? await this.c.findInstallation(from) : null;
    if (!connect) {
      throw new WorkAbandoned(
        "The Forge edition cannot give GitLab's pull mirror Bitbucket credentials (and the Connect edition that created this mirror is not installed): switch the link to push sync",
      );
    }
    return connect;
  }

  /**
   * Gives GitLab a fresh token for the mirror: the one it holds lives 2 hours, so this runs before each
   * mirror trigger. GitLab 17.6+ takes it through `PUT /projects/:id/mirror/pull`; older GitLabs answer
   * that with 404 and take it as the project's `import_url`. Returns which route GitLab accepted.
   */
  async refresh(link: Link, api: GitLabApi): Promise<"mirror-api" | "import-url"> {
    const installation = await this.issuer(link);
    if (!link.repoFullName) throw new WorkAbandoned("The link does not know the repository's path to clone; link it again");
    const { token } = await this.mint(installation, link.repoUuid);
    const url = cloneUrl(installation.webBaseUrl, link.repoFullName);
    try {
      await api.updatePullMirror(link.projectId, { url, auth_user: TOKEN_USER, auth_password: token });
      return "mirror-api";
    } catch (e) {
      if (statusOf(e) !== 404) throw scrubbed(gitlabFailure(e, "Renewing the mirror's Bitbucket credentials"), token);
    }
    try {
      await api.setImportUrl(link.projectId, withToken(url, token));
      return "import-url";
    } catch (e) {
      throw scrubbed(gitlabFailure(e, "Renewing the mirror's Bitbucket credentials (import URL)"), token);
    }
  }
}

/** The same failure with the token cut out of its message, should GitLab ever echo it back. */
export function scrubbed(f: PeerFailure, token: string): PeerFailure {
  const message = f.message.split(token).join("[redacted]").split(encodeURIComponent(token)).join("[redacted]");
  return message === f.message ? f : f.withMessage(message);
}

import { mintAccessToken, type BitbucketAccessToken } from "../bitbucket/access-token";
import type { Link } from "../db/links";
import type { Tenant } from "../db/tenants";
import type { Deps } from "../deps";
import { gitlabFailure, statusOf, type GitLabApi } from "../gitlab/gitlab-api";
import { deferral, DeliveryFailure } from "../outbox/failure";

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
 * Mints a Bitbucket access token, drawing one call from the installation's Bitbucket budget (a 429
 * pauses the installation like a status post does).
 */
export async function mintWithinBudget(deps: Deps, tenant: Tenant): Promise<BitbucketAccessToken> {
  const wait = await deps.budget.take(tenant.clientKey);
  if (wait > 0) throw deferral("waiting for this installation's Bitbucket rate budget", wait);
  try {
    return await mintAccessToken(tenant, deps.config.appKey, deps.config.httpTimeoutMs);
  } catch (e) {
    if (e instanceof DeliveryFailure && e.status === 429) {
      await deps.budget.pause(tenant.clientKey, Date.now() + (e.retryAfterMs ?? deps.config.bitbucketBudget.pauseAfter429Ms));
    }
    throw e;
  }
}

/**
 * Gives GitLab a fresh Bitbucket access token for the mirror of a project the app created: the one it
 * holds lives 2 hours, so this runs before each mirror trigger. GitLab 17.6+ takes it through
 * `PUT /projects/:id/mirror/pull`; older GitLabs answer that with 404 and take it as the project's
 * `import_url`. GitLab keeps the credentials; we keep none, and never log the token or the URL with it.
 * Returns which route GitLab accepted.
 */
export async function refreshMirrorCredentials(deps: Deps, link: Link, api: GitLabApi): Promise<"mirror-api" | "import-url"> {
  const tenant = await deps.tenants.get(link.clientKey);
  if (!tenant) throw new DeliveryFailure("The app is no longer installed in this workspace", false);
  if (!link.repoFullName) {
    throw new DeliveryFailure("The link does not know the repository's path to clone; link it again", false);
  }
  const { token } = await mintWithinBudget(deps, tenant);
  const url = cloneUrl(tenant.baseUrl, link.repoFullName);
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

/** The same failure with the token cut out of its message, should GitLab ever echo it back. */
export function scrubbed(f: DeliveryFailure, token: string): DeliveryFailure {
  const message = f.message.split(token).join("[redacted]").split(encodeURIComponent(token)).join("[redacted]");
  return message === f.message ? f : new DeliveryFailure(message, f.retryable, f.retryAfterMs, f.deferred, f.status);
}

import { request } from "undici";
import type { BuildStatus } from "../core/build-status";
import { parseRetryAfter, PeerFailure, peerStatusFailure } from "../errors";
import { answerRefused } from "../http/answer-refused";
import { bitbucketDispatcher } from "./bitbucket-dispatcher";

/**
 * How one installation proves itself to Bitbucket: the Connect edition signs a JWT bound to the call's
 * method, path and query; the Forge edition sends its app system token. The client knows neither.
 */
export interface BitbucketAuth {
  /** The `Authorization` header value for one call; `pathAndQuery` is relative to the API base URL. */
  authorization(method: string, pathAndQuery: string): Promise<string> | string;
  /**
   * Bitbucket answered 401 to `authorization`: the edition may say what that means (Forge: its system
   * token expired, and the work must wait for a fresh one). Undefined keeps the permanent failure.
   */
  refused?(authorization: string): Promise<Error | undefined>;
}

export interface BitbucketClientOptions {
  /** `https://api.bitbucket.org` for Connect tenants; the FIT's `app.apiBaseUrl` for Forge installations. */
  baseApiUrl: string;
  auth: BitbucketAuth;
  timeoutMs: number;
  /** Told every answer's HTTP status (0 when none came), for metrics. */
  onStatus?: (status: number) => void;
}

/** Calls the Bitbucket REST API as the app, for one installation, whichever edition it is. */
export class BitbucketClient {
  private readonly base: string;

  constructor(private readonly opts: BitbucketClientOptions) {
    this.base = opts.baseApiUrl.replace(/\/+$/, "");
  }

  /**
   * Creates or overwrites a commit build status. Repositories are addressed by uuid (workspace and repo),
   * so a rename on Bitbucket does not break us.
   */
  async postBuildStatus(workspaceUuid: string, repoUuid: string, sha: string, status: BuildStatus): Promise<void> {
    const path =
      `/2.0/repositories/${encodeURIComponent(workspaceUuid)}/${encodeURIComponent(repoUuid)}` +
      `/commit/${encodeURIComponent(sha)}/statuses/build`;
    await this.request("POST", path, status);
  }

  /**
   * The full hash of a pull request's source head, read from its commits (newest first; a fork's commits
   * included), or null when it has none. Pull-request payloads carry 12 characters only, and a status
   * must name the full hash.
   */
  async pullRequestHead(workspaceUuid: string, repoUuid: string, prId: number): Promise<string | null> {
    const path = `/2.0/repositories/${encodeURIComponent(workspaceUuid)}/${encodeURIComponent(repoUuid)}/pullrequests/${prId}/commits?pagelen=1`;
    const page = (await this.request("GET", path)) as { values?: { hash?: unknown }[] } | null;
    const hash = page?.values?.[0]?.hash;
    return typeof hash === "string" && /^[0-9a-f]{40}$/i.test(hash) ? hash.toLowerCase() : null;
  }

  /**
   * The repository's `workspace/slug` path (`full_name`), which git's URL needs (Forge events carry only
   * uuids), and whether it is private. Read by uuid, so it works whatever the repository is called now.
   */
  async repository(workspaceUuid: string, repoUuid: string): Promise<{ fullName: string; isPrivate: boolean }> {
    const path = `/2.0/repositories/${encodeURIComponent(workspaceUuid)}/${encodeURIComponent(repoUuid)}`;
    const repo = (await this.request("GET", path)) as { full_name?: unknown; is_private?: unknown } | null;
    const name = repo?.full_name;
    if (typeof name !== "string" || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(name) || /(^|\/)\.\.?($|\/)/.test(name))
      throw new PeerFailure({
        peer: "bitbucket",
        message: "Bitbucket gave no usable full name for the repository",
        transient: false,
      });
    // Anything but an explicit `false` is treated as private: the safe side for the visibility warning.
    return { fullName: name, isPrivate: repo?.is_private !== false };
  }

  /**
   * The repository's uuid (braced, lower case) read at `/2.0/repositories/{workspaceUuid}/{repoUuid}`, or
   * null when Bitbucket answers 404: it hides a repository outside the caller's workspace, so a 200 naming
   * the same uuid is Bitbucket's word that the repository is in that workspace and the caller may see it.
   */
  async repositoryUuid(workspaceUuid: string, repoUuid: string): Promise<string | null> {
    const path = `/2.0/repositories/${encodeURIComponent(workspaceUuid)}/${encodeURIComponent(repoUuid)}`;
    try {
      const repo = (await this.request("GET", path)) as { uuid?: unknown } | null;
      return typeof repo?.uuid === "string" ? `{${repo.uuid.replace(/^\{|\}$/g, "").toLowerCase()}}` : null;
    } catch (e) {
      if (e instanceof PeerFailure && e.status === 404) return null;
      throw e;
    }
  }

  /** Creates or replaces a Code Insights report on a commit (same id ⇒ replaced). */
  async putReport(workspaceUuid: string, repoUuid: string, sha: string, reportId: string, report: unknown): Promise<void> {
    await this.request("PUT", this.reportPath(workspaceUuid, repoUuid, sha, reportId), report);
  }

  /** Deletes a report and its annotations (404 is fine: there was none). */
  async deleteReport(workspaceUuid: string, repoUuid: string, sha: string, reportId: string): Promise<void> {
    try {
      await this.request("DELETE", this.reportPath(workspaceUuid, repoUuid, sha, reportId));
    } catch (e) {
      if (!(e instanceof PeerFailure && e.status === 404)) throw e;
    }
  }

  /** Adds 1–100 annotations to a report in one request. */
  async postAnnotations(
    workspaceUuid: string,
    repoUuid: string,
    sha: string,
    reportId: string,
    annotations: unknown[],
  ): Promise<void> {
    await this.request("POST", `${this.reportPath(workspaceUuid, repoUuid, sha, reportId)}/annotations`, annotations);
  }

  private reportPath(workspaceUuid: string, repoUuid: string, sha: string, reportId: string): string {
    return (
      `/2.0/repositories/${encodeURIComponent(workspaceUuid)}/${encodeURIComponent(repoUuid)}` +
      `/commit/${encodeURIComponent(sha)}/reports/${encodeURIComponent(reportId)}`
    );
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const authorization = await this.opts.auth.authorization(method, path);
    const onStatus = this.opts.onStatus ?? (() => undefined);
    // undici's request rather than fetch: one status post per event, and fetch's WHATWG layers (streams,
    // Headers, AbortSignal) cost several times more CPU for the same call. Redirects are not followed.
    let status: number;
    let retryAfter: string | string[] | undefined;
    let text: string;
    try {
      const response = await request(this.base + path, {
        method: method as "POST",
        headers: {
          Authorization: authorization,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
        dispatcher: bitbucketDispatcher,
      });
      status = response.statusCode;
      retryAfter = response.headers["retry-after"];
      text = await response.body.text().catch((e: unknown) => {
        if (answerRefused(e)) throw e;
        return "";
      });
    } catch (e) {
      onStatus(0);
      const refused = answerRefused(e);
      if (refused) throw new PeerFailure({ peer: "bitbucket", message: refused.message, transient: false });
      const message = `Bitbucket unreachable: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
      throw new PeerFailure({ peer: "bitbucket", message, transient: true });
    }
    onStatus(status);
    if (status === 401 && this.opts.auth.refused) {
      const instead = await this.opts.auth.refused(authorization);
      if (instead) throw instead;
    }
    if (status < 200 || status >= 300) {
      throw peerStatusFailure("bitbucket", status, `Bitbucket ${status}: ${bitbucketMessage(text)}`, parseRetryAfter(retryAfter));
    }
    return text ? JSON.parse(text) : null;
  }
}

// Bitbucket errors look like {"type":"error","error":{"message":"..."}}.
function bitbucketMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    if (parsed.error?.message) return parsed.error.message.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || "(no body)";
}

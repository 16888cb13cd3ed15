import { request } from "undici";
import type { BuildStatus } from "../core/build-status";
import type { Tenant } from "../db/tenants";
import { DeliveryFailure, isRetryableStatus, parseRetryAfter } from "../outbox/failure";
import { connectJwt } from "./connect-jwt";

/** Calls the Bitbucket REST API as the app, for one installation. */
export class BitbucketClient {
  constructor(
    private readonly tenant: Tenant,
    private readonly appKey: string,
    private readonly timeoutMs: number,
    /** Told every answer's HTTP status (0 when none came), for metrics. */
    private readonly onStatus: (status: number) => void = () => undefined,
  ) {}

  /**
   * Creates or overwrites a commit build status. Repositories are addressed by uuid (workspace and repo),
   * so a rename on Bitbucket does not break us.
   */
  async postBuildStatus(repoUuid: string, sha: string, status: BuildStatus): Promise<void> {
    const path =
      `/2.0/repositories/${encodeURIComponent(this.tenant.workspaceUuid)}/${encodeURIComponent(repoUuid)}` +
      `/commit/${encodeURIComponent(sha)}/statuses/build`;
    await this.request("POST", path, status);
  }

  private async request(method: string, path: string, body: unknown): Promise<unknown> {
    const token = connectJwt({
      appKey: this.appKey,
      clientKey: this.tenant.clientKey,
      sharedSecret: this.tenant.sharedSecret,
      method,
      pathAndQuery: path,
    });
    // undici's request rather than fetch: one status post per event, and fetch's WHATWG layers (streams,
    // Headers, AbortSignal) cost several times more CPU for the same call. Redirects are not followed.
    let status: number;
    let retryAfter: string | string[] | undefined;
    let text: string;
    try {
      const response = await request(this.tenant.baseApiUrl.replace(/\/+$/, "") + path, {
        method: method as "POST",
        headers: { Authorization: `JWT ${token}`, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = response.statusCode;
      retryAfter = response.headers["retry-after"];
      text = await response.body.text().catch(() => "");
    } catch (e) {
      this.onStatus(0);
      throw new DeliveryFailure(`Bitbucket unreachable: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, true);
    }
    this.onStatus(status);
    if (status < 200 || status >= 300) {
      throw new DeliveryFailure(
        `Bitbucket ${status}: ${bitbucketMessage(text)}`,
        isRetryableStatus(status),
        parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
        false,
        status,
      );
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

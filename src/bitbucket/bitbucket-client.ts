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
    let response: Response;
    try {
      response = await fetch(this.tenant.baseApiUrl.replace(/\/+$/, "") + path, {
        method,
        headers: { Authorization: `JWT ${token}`, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      this.onStatus(0);
      throw new DeliveryFailure(`Bitbucket unreachable: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, true);
    }
    this.onStatus(response.status);
    const text = await response.text().catch(() => "");
    if (!response.ok) {
      throw new DeliveryFailure(
        `Bitbucket ${response.status}: ${bitbucketMessage(text)}`,
        isRetryableStatus(response.status),
        parseRetryAfter(response.headers.get("retry-after")),
        false,
        response.status,
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

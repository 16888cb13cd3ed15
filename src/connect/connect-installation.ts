import { BitbucketClient, type BitbucketAuth } from "../bitbucket/bitbucket-client";
import type { Tenant } from "../db/tenants";
import type { AccessToken, FindInstallation, Installation } from "../installations/installation";
import { mintAccessToken } from "./access-token";
import { connectJwt } from "./connect-jwt";
import type { TenantCache } from "./tenant-cache";

export interface ConnectInstallationOptions {
  appKey: string;
  timeoutMs: number;
  onBitbucketStatus?: (status: number) => void;
  /** How Code Insights calls authenticate: an access token (documented) or the Connect JWT. */
  insightsAuth?: "bearer" | "jwt";
}

/** An access token is renewed this long before Bitbucket said it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * The installation's own access tokens (the JWT bearer grant, workspace-wide, for the app's own calls
 * only — never handed to anyone), kept until shortly before they expire: one grant per two hours rather
 * than one per report.
 */
class OwnTokens {
  private readonly held = new Map<string, AccessToken>();

  async get(tenant: Tenant, opts: ConnectInstallationOptions): Promise<string> {
    const cached = this.held.get(tenant.clientKey);
    if (cached && cached.expiresAt - RENEW_BEFORE_MS > Date.now()) return cached.token;
    const { token, expiresAt } = await mintAccessToken(tenant, opts.appKey, opts.timeoutMs);
    if (this.held.size > 10_000) this.held.clear();
    this.held.set(tenant.clientKey, { token, expiresAt, shareable: false });
    return token;
  }

  forget(clientKey: string): void {
    this.held.delete(clientKey);
  }
}

const ownTokens = new OwnTokens();

/**
 * A Connect tenant as an Installation: REST calls carry a JWT signed with the tenant's shared secret
 * (iss = app key, sub = clientKey, qsh over the call relative to baseApiUrl); tokens for one repository
 * come from the JWT bearer grant, bound to that repository.
 */
export function connectInstallation(tenant: Tenant, opts: ConnectInstallationOptions): Installation {
  const jwt: BitbucketAuth = {
    authorization: (method, pathAndQuery) =>
      `JWT ${connectJwt({ appKey: opts.appKey, clientKey: tenant.clientKey, sharedSecret: tenant.sharedSecret, method, pathAndQuery })}`,
  };
  const bearer: BitbucketAuth = { authorization: async () => `Bearer ${await ownTokens.get(tenant, opts)}` };
  const client = (auth: BitbucketAuth) =>
    new BitbucketClient({ baseApiUrl: tenant.baseApiUrl, timeoutMs: opts.timeoutMs, onStatus: opts.onBitbucketStatus, auth });
  return {
    key: tenant.clientKey,
    edition: "connect",
    workspaceUuid: tenant.workspaceUuid,
    webBaseUrl: tenant.baseUrl,
    bitbucket: client(jwt),
    insights: client(opts.insightsAuth === "jwt" ? jwt : bearer),
    repositoryToken: async (repoUuid) => {
      const { token, expiresAt } = await mintAccessToken(tenant, opts.appKey, opts.timeoutMs, repoUuid);
      return { token, expiresAt, shareable: true };
    },
  };
}

/** Finds Connect installations through the tenant cache. */
export const connectInstallations =
  (tenants: TenantCache, opts: ConnectInstallationOptions): FindInstallation =>
  async (key) => {
    const tenant = await tenants.get(key);
    return tenant ? connectInstallation(tenant, opts) : null;
  };

/** Drops a tenant's cached access token (on re-install and uninstall: the secret that minted it changed). */
export const forgetOwnToken = (clientKey: string) => ownTokens.forget(clientKey);

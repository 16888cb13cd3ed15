import { BitbucketClient } from "../bitbucket/bitbucket-client";
import type { Tenant } from "../db/tenants";
import type { FindInstallation, Installation } from "../installations/installation";
import { mintAccessToken } from "./access-token";
import { connectJwt } from "./connect-jwt";
import type { TenantCache } from "./tenant-cache";

export interface ConnectInstallationOptions {
  appKey: string;
  timeoutMs: number;
  onBitbucketStatus?: (status: number) => void;
}

/**
 * A Connect tenant as an Installation: REST calls carry a JWT signed with the tenant's shared secret
 * (iss = app key, sub = clientKey, qsh over the call relative to baseApiUrl); tokens for one repository
 * come from the JWT bearer grant, bound to that repository.
 */
export function connectInstallation(tenant: Tenant, opts: ConnectInstallationOptions): Installation {
  return {
    key: tenant.clientKey,
    edition: "connect",
    workspaceUuid: tenant.workspaceUuid,
    webBaseUrl: tenant.baseUrl,
    bitbucket: new BitbucketClient({
      baseApiUrl: tenant.baseApiUrl,
      timeoutMs: opts.timeoutMs,
      onStatus: opts.onBitbucketStatus,
      auth: {
        authorization: (method, pathAndQuery) =>
          `JWT ${connectJwt({ appKey: opts.appKey, clientKey: tenant.clientKey, sharedSecret: tenant.sharedSecret, method, pathAndQuery })}`,
      },
    }),
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

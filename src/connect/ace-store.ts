import type { TenantCache } from "./tenant-cache";

/**
 * ACE's store interface, backed by our tenants table. ACE only ever reads "clientInfo" here: installs and
 * uninstalls are our own routes, so they can check more than ACE does and keep the secret sealed.
 */
export function aceStore(cache: TenantCache) {
  const clientInfo = async (clientKey: string) => {
    const t = await cache.get(clientKey);
    if (!t) return null;
    return {
      key: t.appKey,
      clientKey: t.clientKey,
      sharedSecret: t.sharedSecret,
      baseUrl: t.baseUrl,
      baseApiUrl: t.baseApiUrl,
      productType: "bitbucket",
    };
  };
  return {
    schema: undefined,
    isMemoryStore: () => false,
    get: async (key: string, clientKey: string) => (key === "clientInfo" ? clientInfo(clientKey) : null),
    getAllClientInfos: async () => [],
    set: async () => {
      throw new Error("Tenants are written by the app's own lifecycle routes, not through ACE");
    },
    saveInstallation: async () => {
      throw new Error("Tenants are written by the app's own lifecycle routes, not through ACE");
    },
    del: async () => {
      throw new Error("Tenants are erased by the app's own lifecycle routes, not through ACE");
    },
  };
}

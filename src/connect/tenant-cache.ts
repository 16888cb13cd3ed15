import type { Tenant, Tenants } from "../db/tenants";
import { forgetOwnToken } from "./connect-installation";

const TTL_MS = 30_000;

/**
 * Every signed request from Bitbucket needs its tenant's secret; reading it from the database each time
 * was measured as the largest cost of webhook intake. Entries live 30 seconds and are dropped at once on
 * install and uninstall here (another instance sees a re-install within the TTL).
 */
export class TenantCache {
  private readonly entries = new Map<string, { tenant: Tenant | null; until: number }>();

  constructor(readonly tenants: Tenants) {}

  async get(clientKey: string): Promise<Tenant | null> {
    const hit = this.entries.get(clientKey);
    if (hit && hit.until > Date.now()) return hit.tenant;
    const tenant = await this.tenants.find(clientKey);
    // Unknown keys are cached too (briefly), so a flood of forged keys costs one query each per TTL at most.
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(clientKey, { tenant, until: Date.now() + TTL_MS });
    return tenant;
  }

  forget(clientKey: string): void {
    this.entries.delete(clientKey);
    forgetOwnToken(clientKey);
  }
}

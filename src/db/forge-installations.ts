import { randomBytes } from "node:crypto";
import { QueryTypes, type Sequelize } from "sequelize";
import type { SecretBox } from "../security/secret-box";

/** A Forge installation as stored: the facts its FITs told us, without the system token. */
export interface ForgeInstallationRow {
  installationId: string;
  /** `forge:<installationId>`: the owner key its links, budgets and queued work carry. */
  clientKey: string;
  workspaceUuid: string;
  apiBaseUrl: string;
  /** When the stored system token ends (epoch ms; 0 when there is none, or Bitbucket refused it). */
  tokenExpiresAt: number;
  lastContactAt: number;
  lastTickAt: number | null;
}

export interface Contact {
  installationId: string;
  clientKey: string;
  workspaceUuid: string;
  apiBaseUrl: string;
  /** The `x-forge-oauth-system` header, when the call carried one. */
  systemToken?: string;
  tick?: boolean;
}

// Forge documents 2–4 hours for a system token; one whose `exp` cannot be read is kept for the least.
const UNKNOWN_TOKEN_LIFE_MS = 2 * 60 * 60_000;

/** When a system token ends: its JWT `exp` if it has one (not verified: Bitbucket judges it), else in 2 h. */
export function tokenExpiry(token: string, now = Date.now()): number {
  try {
    const exp = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")).exp;
    if (typeof exp === "number" && Number.isFinite(exp)) return exp * 1000;
  } catch {
    // opaque: fall through
  }
  return now + UNKNOWN_TOKEN_LIFE_MS;
}

/**
 * Forge installations and their app system tokens (sealed). Each has an owner row in `tenants` (see
 * migration 0007) so its links and budgets hang off it like a Connect tenant's.
 */
export class ForgeInstallations {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly box: SecretBox,
  ) {}

  /**
   * Notes a verified call from an installation: creates it on first sight (a missed lifecycle event costs
   * nothing), and keeps the call's system token only if it lasts longer than the one held, so a late retry
   * carrying an older token never replaces a newer one.
   */
  async record(c: Contact, now = Date.now()): Promise<void> {
    const q = (sql: string, replacements: unknown[]) => this.sequelize.query(sql, { replacements, type: QueryTypes.RAW });
    const date = new Date(now);
    await this.sequelize.transaction(async (transaction) => {
      const opts = { transaction, type: QueryTypes.RAW };
      await this.sequelize.query(
        `INSERT INTO tenants (client_key, app_key, shared_secret, base_url, base_api_url, workspace_uuid, workspace_name, installed_at, updated_at)
         VALUES (?, 'forge', ?, 'https://bitbucket.org', ?, ?, NULL, ?, ?) ON CONFLICT (client_key) DO NOTHING`,
        // The owner row needs a shared secret; this one is random, sealed and never used (Connect never reads the row).
        {
          ...opts,
          replacements: [c.clientKey, this.box.seal(randomBytes(32).toString("hex")), c.apiBaseUrl, c.workspaceUuid, date, date],
        },
      );
      await this.sequelize.query(
        `INSERT INTO forge_installations (installation_id, client_key, workspace_uuid, api_base_url, token_expires_at, last_contact_at, last_tick_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)
         ON CONFLICT (installation_id) DO UPDATE SET api_base_url = excluded.api_base_url, last_contact_at = excluded.last_contact_at,
           last_tick_at = COALESCE(excluded.last_tick_at, forge_installations.last_tick_at), updated_at = excluded.updated_at`,
        {
          ...opts,
          replacements: [c.installationId, c.clientKey, c.workspaceUuid, c.apiBaseUrl, now, c.tick ? now : null, now, now],
        },
      );
    });
    if (!c.systemToken) return;
    const expiresAt = tokenExpiry(c.systemToken, now);
    await q(
      `UPDATE forge_installations SET system_token = ?, token_expires_at = ?, updated_at = ?
       WHERE installation_id = ? AND token_expires_at < ?`,
      [this.box.seal(c.systemToken), expiresAt, now, c.installationId, expiresAt],
    );
  }

  async find(clientKey: string): Promise<ForgeInstallationRow | null> {
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `SELECT installation_id, client_key, workspace_uuid, api_base_url, token_expires_at, last_contact_at, last_tick_at
       FROM forge_installations WHERE client_key = ?`,
      { replacements: [clientKey], type: QueryTypes.SELECT },
    );
    if (!row) return null;
    return {
      installationId: String(row.installation_id),
      clientKey: String(row.client_key),
      workspaceUuid: String(row.workspace_uuid),
      apiBaseUrl: String(row.api_base_url),
      tokenExpiresAt: Number(row.token_expires_at),
      lastContactAt: Number(row.last_contact_at),
      lastTickAt: row.last_tick_at == null ? null : Number(row.last_tick_at),
    };
  }

  /** The system token held for the installation, unsealed, with its expiry (null when none). */
  async token(clientKey: string): Promise<{ token: string; expiresAt: number } | null> {
    const [row] = await this.sequelize.query<{ system_token: string | null; token_expires_at: unknown }>(
      "SELECT system_token, token_expires_at FROM forge_installations WHERE client_key = ?",
      { replacements: [clientKey], type: QueryTypes.SELECT },
    );
    if (!row?.system_token) return null;
    return { token: this.box.open(row.system_token), expiresAt: Number(row.token_expires_at) };
  }

  /**
   * Bitbucket refused the token that ends at `expiresAt`: it counts as expired from now on, so work waits
   * for the next one instead of asking again. A newer token stored meanwhile (another expiry) is untouched.
   */
  async tokenRefused(clientKey: string, expiresAt: number): Promise<void> {
    await this.sequelize.query(
      "UPDATE forge_installations SET token_expires_at = 0 WHERE client_key = ? AND token_expires_at = ?",
      {
        replacements: [clientKey, expiresAt],
        type: QueryTypes.RAW,
      },
    );
  }
}

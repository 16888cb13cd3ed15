import { randomBytes } from "node:crypto";
import { QueryTypes, type Sequelize } from "sequelize";
import type { SecretBox } from "../security/secret-box";
import { DirectSql } from "./direct-sql";

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
  /** When the installation was judged uninstalled (no calls, no accepted token); null while it is live. */
  goneAt: number | null;
  /** When Bitbucket first refused a token of it that had not ended (null: never, or a newer token came). */
  refusedSince: number | null;
  /** When a `preUninstall` hint or long silence made it suspect (sweeps pause); null once it calls again. */
  suspectedAt: number | null;
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

const COLUMNS =
  "installation_id, client_key, workspace_uuid, api_base_url, token_expires_at, last_contact_at, last_tick_at, gone_at, refused_since, suspected_at";

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
           last_tick_at = COALESCE(excluded.last_tick_at, forge_installations.last_tick_at), updated_at = excluded.updated_at,
           gone_at = NULL, suspected_at = NULL`,
        {
          ...opts,
          replacements: [c.installationId, c.clientKey, c.workspaceUuid, c.apiBaseUrl, now, c.tick ? now : null, now, now],
        },
      );
    });
    if (!c.systemToken) return;
    const expiresAt = tokenExpiry(c.systemToken, now);
    await q(
      `UPDATE forge_installations SET system_token = ?, token_expires_at = ?, refused_since = NULL, updated_at = ?
       WHERE installation_id = ? AND token_expires_at < ?`,
      [this.box.seal(c.systemToken), expiresAt, now, c.installationId, expiresAt],
    );
  }

  async find(clientKey: string): Promise<ForgeInstallationRow | null> {
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `SELECT installation_id, client_key, workspace_uuid, api_base_url, token_expires_at, last_contact_at, last_tick_at, gone_at, refused_since, suspected_at
       FROM forge_installations WHERE client_key = ?`,
      { replacements: [clientKey], type: QueryTypes.SELECT },
    );
    return row ? toRow(row) : null;
  }

  /** The live installations of a workspace (braced UUID), newest contact first. */
  async forWorkspace(workspaceUuid: string): Promise<ForgeInstallationRow[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT installation_id, client_key, workspace_uuid, api_base_url, token_expires_at, last_contact_at, last_tick_at, gone_at, refused_since, suspected_at
       FROM forge_installations WHERE workspace_uuid = ? AND gone_at IS NULL ORDER BY last_contact_at DESC`,
      { replacements: [workspaceUuid], type: QueryTypes.SELECT },
    );
    return rows.map(toRow);
  }

  /**
   * Live installations that may be uninstalled: no verified call since `silentSince`, or suspected (a
   * `preUninstall` hint). Silence is no proof (our own outage silences everyone; src/forge/forge-reaper.ts
   * asks Bitbucket before retiring one).
   */
  async looksGone(silentSince: number, limit = 100): Promise<ForgeInstallationRow[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM forge_installations
       WHERE gone_at IS NULL AND (last_contact_at < ? OR suspected_at IS NOT NULL)
       ORDER BY last_contact_at LIMIT ?`,
      { replacements: [silentSince, limit], type: QueryTypes.SELECT },
    );
    return rows.map(toRow);
  }

  /** How many installations are live, and how many of them called since `since`. */
  async contactCounts(since: number): Promise<{ live: number; recent: number }> {
    const [row] = await this.sequelize.query<{ live: unknown; recent: unknown }>(
      `SELECT COUNT(*) AS live, COALESCE(SUM(CASE WHEN last_contact_at >= ? THEN 1 ELSE 0 END), 0) AS recent
       FROM forge_installations WHERE gone_at IS NULL`,
      { replacements: [since], type: QueryTypes.SELECT },
    );
    return { live: Number(row?.live ?? 0), recent: Number(row?.recent ?? 0) };
  }

  /**
   * Marks the installation suspected of being uninstalled (its sweeps pause), unless it is gone already.
   * True when it is live and now suspected.
   */
  async suspect(clientKey: string, now: number): Promise<boolean> {
    const rows = await DirectSql.for(this.sequelize).query<{ client_key: string }>(
      `UPDATE forge_installations SET suspected_at = COALESCE(suspected_at, ?), updated_at = ?
       WHERE client_key = ? AND gone_at IS NULL RETURNING client_key`,
      [now, now, clientKey],
    );
    return rows.length > 0;
  }

  /**
   * Marks the installation gone, unless a call came after `silentSince` (a call racing the check wins).
   * True when this call marked it.
   */
  async markGone(clientKey: string, now: number, silentSince: number): Promise<boolean> {
    const rows = await DirectSql.for(this.sequelize).query<{ client_key: string }>(
      `UPDATE forge_installations SET gone_at = ?, updated_at = ?
       WHERE client_key = ? AND gone_at IS NULL AND last_contact_at < ? RETURNING client_key`,
      [now, now, clientKey, silentSince],
    );
    return rows.length > 0;
  }

  /** Installations found gone before `before`: their grace period is over. */
  async goneBefore(before: number, limit = 100): Promise<string[]> {
    const rows = await this.sequelize.query<{ client_key: string }>(
      "SELECT client_key FROM forge_installations WHERE gone_at IS NOT NULL AND gone_at < ? ORDER BY gone_at LIMIT ?",
      { replacements: [before, limit], type: QueryTypes.SELECT },
    );
    return rows.map((r) => String(r.client_key));
  }

  /**
   * Deletes the installation's row (and its sealed system token) if it is still gone since before
   * `before`: a verified call that revived it in the meantime wins. True when this call deleted it, which
   * makes the caller the one to erase the rest of its data; the row never comes back to `goneBefore`.
   */
  async removeGone(clientKey: string, before: number): Promise<boolean> {
    const rows = await DirectSql.for(this.sequelize).query<{ client_key: string }>(
      `DELETE FROM forge_installations WHERE client_key = ? AND gone_at IS NOT NULL AND gone_at < ? RETURNING client_key`,
      [clientKey, before],
    );
    return rows.length > 0;
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
      `UPDATE forge_installations SET token_expires_at = 0, refused_since = COALESCE(refused_since, ?)
       WHERE client_key = ? AND token_expires_at = ?`,
      {
        replacements: [Date.now(), clientKey, expiresAt],
        type: QueryTypes.RAW,
      },
    );
  }
}

function toRow(row: Record<string, unknown>): ForgeInstallationRow {
  return {
    installationId: String(row.installation_id),
    clientKey: String(row.client_key),
    workspaceUuid: String(row.workspace_uuid),
    apiBaseUrl: String(row.api_base_url),
    tokenExpiresAt: Number(row.token_expires_at),
    lastContactAt: Number(row.last_contact_at),
    lastTickAt: row.last_tick_at == null ? null : Number(row.last_tick_at),
    goneAt: row.gone_at == null ? null : Number(row.gone_at),
    refusedSince: row.refused_since == null ? null : Number(row.refused_since),
    suspectedAt: row.suspected_at == null ? null : Number(row.suspected_at),
  };
}

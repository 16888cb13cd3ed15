import { QueryTypes, type Sequelize } from "sequelize";

export type AuditAction = "linked" | "changed" | "unlinked";

export interface AuditEvent {
  at: number;
  actor: string | null;
  action: AuditAction;
  summary: string;
}

/** Who linked, changed or unlinked which repository, and when; per tenant, erased with it. */
export class AuditLog {
  constructor(private readonly sequelize: Sequelize) {}

  async record(clientKey: string, repoUuid: string, e: Omit<AuditEvent, "at">): Promise<void> {
    await this.sequelize.query(
      "INSERT INTO audit_events (client_key, repo_uuid, actor, action, summary, at) VALUES (?, ?, ?, ?, ?, ?)",
      { replacements: [clientKey, repoUuid, e.actor, e.action, e.summary.slice(0, 512), Date.now()] },
    );
  }

  async forRepository(clientKey: string, repoUuid: string, limit = 50): Promise<AuditEvent[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      "SELECT at, actor, action, summary FROM audit_events WHERE client_key = ? AND repo_uuid = ? ORDER BY id DESC LIMIT ?",
      { replacements: [clientKey, repoUuid, limit], type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({
      at: Number(r.at),
      actor: r.actor == null ? null : String(r.actor),
      action: String(r.action) as AuditAction,
      summary: String(r.summary),
    }));
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.sequelize.query("DELETE FROM audit_events WHERE client_key = ?", { replacements: [clientKey] });
  }
}

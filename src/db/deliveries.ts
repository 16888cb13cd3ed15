import type { Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";

/**
 * Ids of webhook deliveries already accepted, so a resend is acknowledged without being processed twice
 * (the outbox write checks them: see `NewWork.delivery`).
 */
export class Deliveries {
  private readonly sql: DirectSql;

  constructor(sequelize: Sequelize) {
    this.sql = DirectSql.for(sequelize);
  }

  /** Records the delivery; returns false if it was already there. */
  async record(source: string, deliveryId: string, clientKey: string): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO deliveries (source, delivery_id, client_key, received_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (source, delivery_id) DO NOTHING RETURNING delivery_id`,
      [source, deliveryId, clientKey, Date.now()],
    );
    return rows.length > 0;
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.sql.query("DELETE FROM deliveries WHERE client_key = ?", [clientKey]);
  }

  /** Forgets one source's deliveries older than `olderThanMs` (Forge's derived ids live only minutes). */
  async pruneSource(source: string, olderThanMs: number): Promise<void> {
    await this.sql.query("DELETE FROM deliveries WHERE source = ? AND received_at < ?", [source, Date.now() - olderThanMs]);
  }

  /** Forgets deliveries older than the window in which GitLab or Bitbucket could resend them. */
  async prune(olderThanMs: number): Promise<void> {
    await this.sql.query("DELETE FROM deliveries WHERE received_at < ?", [Date.now() - olderThanMs]);
  }
}

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

  /** Records the delivery; returns false if it was already there (for its source and scope). */
  async record(delivery: { source: string; scope: string; id: string }, clientKey: string): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO deliveries (source, scope, delivery_id, client_key, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (source, scope, delivery_id) DO NOTHING RETURNING delivery_id`,
      [delivery.source, delivery.scope, delivery.id, clientKey, Date.now()],
    );
    return rows.length > 0;
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.sql.query("DELETE FROM deliveries WHERE client_key = ?", [clientKey]);
  }

  /** Forgets deliveries taken in before `before` (epoch ms); returns how many. */
  async prune(before: number): Promise<number> {
    const gone = await this.sql.query("DELETE FROM deliveries WHERE received_at < ? RETURNING delivery_id", [before]);
    return gone.length;
  }

  /** Forgets one source's deliveries older than `olderThanMs` (Forge's derived ids live only minutes). */
  async pruneSource(source: string, olderThanMs: number): Promise<void> {
    await this.sql.query("DELETE FROM deliveries WHERE source = ? AND received_at < ?", [source, Date.now() - olderThanMs]);
  }
}

import type { Sequelize } from "sequelize";
import { DirectSql } from "./direct-sql";
import { GroupCommit, jsonRows } from "./group-commit";

type DeliveryRow = [source: string, scope: string, deliveryId: string, clientKey: string, receivedAt: number];

/**
 * Ids of webhook deliveries already accepted, so a resend is acknowledged without being processed twice
 * (the outbox write checks them: see `NewWork.delivery`).
 */
export class Deliveries {
  private readonly sql: DirectSql;
  /** Intake records one per webhook: concurrent ones go in one statement (see group-commit.ts). */
  private readonly writes: GroupCommit<DeliveryRow>;

  constructor(sequelize: Sequelize) {
    const sql = (this.sql = DirectSql.for(sequelize));
    const insert = `INSERT INTO deliveries (source, scope, delivery_id, client_key, received_at)
       ${jsonRows(sql.dialect, ["text", "text", "text", "text", "bigint"])}
       ON CONFLICT (source, scope, delivery_id) DO NOTHING`;
    this.writes = new GroupCommit(async (rows) => void (await sql.query(insert, [JSON.stringify(rows)])));
  }

  /** Records the delivery (once written; a delivery already recorded stays as it was). */
  async record(delivery: { source: string; scope: string; id: string }, clientKey: string): Promise<void> {
    await this.writes.add([delivery.source, delivery.scope, delivery.id, clientKey, Date.now()]);
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

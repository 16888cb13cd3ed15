import { QueryTypes, type Sequelize } from "sequelize";

/**
 * Ids of webhook deliveries already accepted, so a resend is acknowledged without being processed twice
 * (the outbox write checks them: see `NewWork.delivery`).
 */
export class Deliveries {
  constructor(private readonly sequelize: Sequelize) {}

  /** Records the delivery; returns false if it was already there. */
  async record(source: string, deliveryId: string, clientKey: string): Promise<boolean> {
    // The leading comment is load-bearing: Sequelize's SQLite dialect runs statements that start with
    // "insert into" without fetching rows, which would drop what RETURNING says.
    const rows = await this.sequelize.query(
      `/* record delivery */ INSERT INTO deliveries (source, delivery_id, client_key, received_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (source, delivery_id) DO NOTHING RETURNING delivery_id`,
      { replacements: [source, deliveryId, clientKey, Date.now()], type: QueryTypes.SELECT },
    );
    return rows.length > 0;
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.sequelize.query("DELETE FROM deliveries WHERE client_key = ?", { replacements: [clientKey] });
  }

  /** Forgets deliveries older than the window in which GitLab or Bitbucket could resend them. */
  async prune(olderThanMs: number): Promise<void> {
    await this.sequelize.query("DELETE FROM deliveries WHERE received_at < ?", { replacements: [Date.now() - olderThanMs] });
  }
}

import { QueryTypes, type Sequelize } from "sequelize";
import { openDatabase } from "../../src/db/database";
import { createLogger } from "../../src/logger";
import { DirectSql } from "../../src/db/direct-sql";
import { Outbox } from "../../src/outbox/outbox";

/** Reads the app's outbox depth from the side, over its own connection (WAL lets SQLite readers in). */
export class DepthProbe {
  private constructor(
    private readonly sequelize: Sequelize,
    private readonly outbox: Outbox,
  ) {}

  static async open(databaseUrl: string): Promise<DepthProbe> {
    const sequelize = await openDatabase(databaseUrl, createLogger("silent"));
    return new DepthProbe(sequelize, new Outbox(DirectSql.for(sequelize), 60_000));
  }

  /** Rows waiting or being delivered (dead rows are not backlog). */
  async depth(): Promise<{ waiting: number; dead: number }> {
    const d = await this.outbox.depth();
    return { waiting: d.pending + d.running, dead: d.dead };
  }

  /**
   * Transactions committed in the app's database so far (PostgreSQL only; null on SQLite). Every
   * statement outside a transaction is one: a count of the app's round trips to the database.
   */
  async transactions(): Promise<number | null> {
    if (this.sequelize.getDialect() !== "postgres") return null;
    const [row] = await this.sequelize.query<{ n: string }>(
      "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()",
      { type: QueryTypes.SELECT },
    );
    return row ? Number(row.n) : null;
  }

  close(): Promise<void> {
    return this.sequelize.close();
  }
}

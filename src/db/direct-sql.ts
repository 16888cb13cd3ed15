import { ForeignKeyConstraintError, type Sequelize } from "sequelize";

/** The two drivers' connections, as far as this file uses them. */
interface SqliteConnection {
  all(sql: string, params: unknown[], callback: (err: Error | null, rows: unknown[]) => void): void;
}
interface PgConnection {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>;
}
interface ConnectionManager {
  getConnection(options: Record<string, unknown>): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void> | void;
}

/**
 * Statements of the per-event path (intake, outbox, delivery records) sent straight to the driver, on the
 * connections Sequelize manages: its SQLite connection, or a client borrowed from its PostgreSQL pool.
 *
 * Why not `sequelize.query`: the benchmark's profiles showed each call costing about 0.2 ms of CPU more
 * than the driver's own, mostly for the stack trace Sequelize's SQLite dialect formats on every query
 * and for rewriting replacements into the SQL text. At a dozen statements per event that was a quarter
 * of the app's CPU. Everything else (models, migrations, the settings pages) stays on Sequelize.
 *
 * SQL is written with `?` placeholders (none of these statements has a `?` inside a literal), turned
 * into `$1, $2, …` for PostgreSQL. Rows come back as the driver gives them: BIGINT columns are strings on
 * PostgreSQL, so callers convert with Number() as they did with Sequelize.
 */
export class DirectSql {
  private readonly postgres: boolean;
  private readonly manager: ConnectionManager;
  private readonly pgText = new Map<string, string>();

  private constructor(sequelize: Sequelize) {
    this.postgres = sequelize.getDialect() === "postgres";
    this.manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  }

  private static readonly instances = new WeakMap<Sequelize, DirectSql>();

  static for(sequelize: Sequelize): DirectSql {
    let direct = DirectSql.instances.get(sequelize);
    if (!direct) DirectSql.instances.set(sequelize, (direct = new DirectSql(sequelize)));
    return direct;
  }

  /** Runs one statement; returns its rows (none for a statement without RETURNING). */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const values = params.map((v) => (v === undefined ? null : v));
    if (!this.postgres) {
      const connection = (await this.manager.getConnection({})) as SqliteConnection;
      return new Promise((resolve, reject) =>
        connection.all(sql, values, (err, rows) => (err ? reject(asKnownError(err)) : resolve(rows as T[]))),
      );
    }
    const client = (await this.manager.getConnection({ type: "write" })) as PgConnection;
    try {
      return (await client.query(this.numbered(sql), values)).rows as T[];
    } catch (err) {
      throw asKnownError(err as Error);
    } finally {
      await this.manager.releaseConnection(client);
    }
  }

  private numbered(sql: string): string {
    let text = this.pgText.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      if (this.pgText.size < 1_000) this.pgText.set(sql, text);
    }
    return text;
  }
}

/** A foreign-key violation (SQLite's message, PostgreSQL's 23503) becomes Sequelize's error class for it. */
function asKnownError(err: Error): Error {
  const code = (err as { code?: unknown }).code;
  const foreignKey = code === "23503" || (code === "SQLITE_CONSTRAINT" && /FOREIGN KEY constraint failed/.test(err.message));
  return foreignKey ? new ForeignKeyConstraintError({ parent: err as never, message: err.message }) : err;
}

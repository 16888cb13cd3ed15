import type { Sequelize } from "sequelize";
import { OwnerGone } from "../errors";
import type { SqlStore } from "../outbox/sql-store";

const MAX_PREPARED = 100;

/** The two drivers' connections, as far as this file uses them. */
interface SqliteStatement {
  all(params: unknown[], callback: (err: Error | null, rows: unknown[]) => void): void;
  finalize(callback: () => void): void;
}
interface SqliteConnection {
  serialize(): void;
  all(sql: string, params: unknown[], callback: (err: Error | null, rows: unknown[]) => void): void;
  prepare(sql: string, callback: (err: Error | null) => void): SqliteStatement;
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
 * On SQLite each statement is prepared once and kept: preparing and finalizing per call cost 2.5 times
 * the CPU of a cached statement's run, and finalizing waits on the connection's mutex on the main thread.
 * Kept statements are finalized before Sequelize closes the connection (SQLite refuses to close otherwise).
 *
 * SQL is written with `?` placeholders (none of these statements has a `?` inside a literal), turned
 * into `$1, $2, …` for PostgreSQL. Rows come back as the driver gives them: BIGINT columns are strings on
 * PostgreSQL, so callers convert with Number() as they did with Sequelize.
 */
export class DirectSql implements SqlStore {
  private readonly postgres: boolean;
  readonly dialect: "sqlite" | "postgres";
  private readonly manager: ConnectionManager;
  private readonly pgText = new Map<string, string>();
  private prepared = new Map<string, SqliteStatement>();
  private preparedOn: SqliteConnection | null = null;
  private closing = false;
  /** Preparations under way, which closing must wait for (a statement prepared after it would block it). */
  private readonly preparing = new Set<Promise<unknown>>();

  private constructor(sequelize: Sequelize) {
    this.postgres = sequelize.getDialect() === "postgres";
    this.dialect = this.postgres ? "postgres" : "sqlite";
    this.manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
    if (!this.postgres) {
      const close = sequelize.close.bind(sequelize);
      sequelize.close = async () => {
        this.closing = true;
        await this.finalizeAll();
        return close();
      };
    }
  }

  private static readonly instances = new WeakMap<Sequelize, DirectSql>();

  static for(sequelize: Sequelize): DirectSql {
    let direct = DirectSql.instances.get(sequelize);
    if (!direct) DirectSql.instances.set(sequelize, (direct = new DirectSql(sequelize)));
    return direct;
  }

  /** How many statement texts are kept: prepared statements on SQLite, texts rewritten to `$n` on PostgreSQL. */
  get keptStatements(): number {
    return this.postgres ? this.pgText.size : this.prepared.size;
  }

  /** Statements run since start: the benchmark reports them per event, a figure the machine's load does not blur. */
  statements = 0;

  /** Runs one statement; returns its rows (none for a statement without RETURNING). */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.statements++;
    const values = params.map((v) => (v === undefined ? null : v));
    if (!this.postgres) {
      const done = (resolve: (rows: T[]) => void, reject: (e: Error) => void) => (err: Error | null, rows: unknown[]) =>
        err ? reject(asKnownError(err)) : resolve(rows as T[]);
      const statement = await this.statement(sql);
      if (statement) return new Promise((resolve, reject) => statement.all(values, done(resolve, reject)));
      // Shutting down, or a text past the cache: run once and finalized at once.
      const connection = (await this.manager.getConnection({})) as SqliteConnection;
      return new Promise((resolve, reject) => connection.all(sql, values, done(resolve, reject)));
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

  /** The kept statement for this text, prepared on first use; null while closing or when the cache is full. */
  private async statement(sql: string): Promise<SqliteStatement | null> {
    if (this.closing) return null;
    const connection = (await this.manager.getConnection({})) as SqliteConnection;
    if (connection !== this.preparedOn) {
      // A new connection (Sequelize reopened it): statements of the old one are gone with it.
      this.prepared = new Map();
      this.preparedOn = connection;
      // One statement at a time, queued in the driver, as Sequelize runs its own. Otherwise the main
      // thread binds and resets statements while a pool thread holds SQLite's connection mutex for a
      // write, and waits for it (10% of the app's CPU in the profile).
      connection.serialize();
    }
    const kept = this.prepared.get(sql);
    if (kept) return kept;
    // The per-event statements are a few dozen texts. More means a caller splices values into its SQL,
    // and keeping each would leak: such texts run once, as Sequelize would run them.
    if (this.prepared.size >= MAX_PREPARED) return null;
    // Tracked as a whole (prepare, then keep or finalize), so closing can wait for it to settle.
    const op = (async () => {
      const made = await new Promise<SqliteStatement>((resolve, reject) => {
        const s = connection.prepare(sql, (err) => (err ? reject(asKnownError(err)) : resolve(s)));
      });
      // Another call may have prepared the same text meanwhile, or closing began: keep one, finalize the rest.
      const other = this.prepared.get(sql);
      if (other || this.closing || connection !== this.preparedOn) {
        await new Promise<void>((resolve) => made.finalize(() => resolve()));
        return other ?? null;
      }
      this.prepared.set(sql, made);
      return made;
    })();
    this.preparing.add(op);
    try {
      return await op;
    } finally {
      this.preparing.delete(op);
    }
  }

  private async finalizeAll(): Promise<void> {
    await Promise.allSettled([...this.preparing]);
    const statements = [...this.prepared.values()];
    this.prepared = new Map();
    this.preparedOn = null;
    await Promise.all(statements.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
  }

  private numbered(sql: string): string {
    let text = this.pgText.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      // Bounded like SQLite's prepared statements, for the same reason: a text with values spliced in is new each time.
      if (this.pgText.size < MAX_PREPARED) this.pgText.set(sql, text);
    }
    return text;
  }
}

/** A foreign-key violation (SQLite's message, PostgreSQL's 23503) becomes OwnerGone: the row's owner was deleted. */
function asKnownError(err: Error): Error {
  const code = (err as { code?: unknown }).code;
  const foreignKey = code === "23503" || (code === "SQLITE_CONSTRAINT" && /FOREIGN KEY constraint failed/.test(err.message));
  return foreignKey ? new OwnerGone(err.message) : err;
}

import path from "node:path";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { Sequelize, Transaction } from "sequelize";
import type { Logger } from "../logger";

export type Dialect = "sqlite" | "postgres";

/**
 * One Sequelize instance for ACE's tenants and our tables. Query logging stays off: Sequelize would print
 * bound values, and those include sealed secrets and tokens on their way in.
 */
export async function openDatabase(url: string, log: Logger): Promise<Sequelize> {
  let sequelize: Sequelize;
  if (url.startsWith("sqlite:")) {
    const storage = url.slice("sqlite:".length) || ":memory:";
    if (storage !== ":memory:") ownerOnly(storage);
    // A transaction takes the write lock when it begins (IMMEDIATE), not at its first write: a transaction
    // that read first and then wrote, after another connection had committed meanwhile, failed with
    // SQLITE_BUSY at once (its snapshot was stale), which no busy wait or statement retry mends.
    sequelize = new Sequelize({ dialect: "sqlite", storage, logging: false, transactionType: Transaction.TYPES.IMMEDIATE });
    waitForLocks(sequelize, BUSY_TIMEOUT_MS);
    oneTransactionAtATime(sequelize);
    // WAL lets the settings page read while the outbox writes. A transaction's own connection keeps
    // SQLite's default synchronous = FULL (a sync at each commit): there is one transaction per Forge call
    // (noting its contact) and per link adoption, none on the Connect and GitLab event paths.
    await sequelize.query("PRAGMA journal_mode = WAL");
    await sequelize.query("PRAGMA synchronous = NORMAL");
  } else {
    sequelize = new Sequelize(url, {
      dialect: "postgres",
      logging: false,
      pool: { max: 10, min: 0, idle: 10_000 },
    });
    await sequelize.authenticate();
  }
  log.debug({ dialect: sequelize.getDialect() }, "database open");
  return sequelize;
}

/** How long a SQLite connection waits for another's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Sets `busyTimeout` on every connection Sequelize's SQLite connection manager opens, as it opens it:
 * busy_timeout makes a writer wait its turn instead of failing with SQLITE_BUSY, and it is a setting of each
 * connection. Sequelize opens one for every transaction, with the driver's default of 1 s. (Its SQLite
 * connection manager runs no `afterConnect` hooks, hence the wrapper.)
 */
function waitForLocks(sequelize: Sequelize, ms: number): void {
  type Connection = { configure(option: "busyTimeout", value: number): void };
  const manager = (sequelize as unknown as { connectionManager: { getConnection(o?: object): Promise<Connection> } })
    .connectionManager;
  const open = manager.getConnection.bind(manager);
  const configured = new WeakSet<Connection>();
  manager.getConnection = async (options?: object) => {
    const connection = await open(options);
    if (!configured.has(connection)) {
      connection.configure("busyTimeout", ms);
      configured.add(connection);
    }
    return connection;
  };
}

/**
 * Runs SQLite transactions one after another, waiting in JavaScript. Each runs on a connection of its own and
 * waits for the write lock on a libuv pool thread (4 of them): a burst of Forge calls, each noting its
 * contact in a transaction, could put every pool thread to sleep waiting, while the transaction holding the
 * lock waited for a thread to run its next statement, until a waiter's timeout.
 */
function oneTransactionAtATime(sequelize: Sequelize): void {
  const begin = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  let last: Promise<unknown> = Promise.resolve();
  (sequelize as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args) => {
    // A managed transaction's promise settles once it has committed or rolled back. A transaction begun
    // inside another's callback would wait for that one forever: none is (adopt-connect-links.ts and
    // forge-installations.ts pass their transaction to every query instead).
    const run = last.then(() => begin(...args));
    last = run.catch(() => undefined);
    return run;
  };
}

/**
 * The SQLite file holds sealed secrets and everything else of every tenant: only the app's user may
 * read it, like the encryption key beside it. SQLite gives its -wal and -shm files the mode of the main
 * file, so creating that one 0600 (before SQLite would create it 0644 under the usual umask) covers all
 * three; files left 0644 by an older version are narrowed too.
 */
function ownerOnly(storage: string): void {
  mkdirSync(path.dirname(path.resolve(storage)), { recursive: true, mode: 0o700 });
  if (!existsSync(storage)) closeSync(openSync(storage, "a", 0o600));
  for (const file of [storage, `${storage}-wal`, `${storage}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

export const dialectOf = (sequelize: Sequelize): Dialect => (sequelize.getDialect() === "postgres" ? "postgres" : "sqlite");

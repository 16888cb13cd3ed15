import path from "node:path";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { Sequelize } from "sequelize";
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
    sequelize = new Sequelize({ dialect: "sqlite", storage, logging: false });
    // WAL lets the settings page read while the outbox writes; busy_timeout makes a writer wait its turn
    // instead of failing with SQLITE_BUSY.
    await sequelize.query("PRAGMA journal_mode = WAL");
    await sequelize.query("PRAGMA busy_timeout = 5000");
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

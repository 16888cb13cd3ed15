import path from "node:path";
import { mkdirSync } from "node:fs";
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
    if (storage !== ":memory:") mkdirSync(path.dirname(path.resolve(storage)), { recursive: true });
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

export const dialectOf = (sequelize: Sequelize): Dialect => (sequelize.getDialect() === "postgres" ? "postgres" : "sqlite");

/** `npm run migrate -- up|down|status`: applies, reverts (the last one) or lists schema migrations. */
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/database";
import { migrator } from "../src/db/migrator";
import { createLogger } from "../src/logger";

async function main(command: string): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  const sequelize = await openDatabase(config.databaseUrl, log);
  const umzug = migrator(sequelize, log);
  try {
    if (command === "up") await umzug.up();
    else if (command === "down") await umzug.down();
    else if (command === "status") {
      const executed = (await umzug.executed()).map((m) => m.name);
      const pending = (await umzug.pending()).map((m) => m.name);
      process.stdout.write(`applied: ${executed.join(", ") || "none"}\npending: ${pending.join(", ") || "none"}\n`);
    } else throw new Error(`unknown command "${command}": use up, down or status`);
  } finally {
    await sequelize.close();
  }
}

main(process.argv[2] ?? "status").catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

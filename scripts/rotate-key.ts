/**
 * `npm run rotate-key`: re-seals every stored secret under ENCRYPTION_KEY. Run it after setting the new
 * key in ENCRYPTION_KEY and the old one in ENCRYPTION_KEYS_PREVIOUS; afterwards the old key can go.
 */
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/database";
import { migrate } from "../src/db/migrator";
import { createLogger } from "../src/logger";
import { resealAll } from "../src/security/reseal";
import { SecretBox } from "../src/security/secret-box";

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  const sequelize = await openDatabase(config.databaseUrl, log);
  try {
    await migrate(sequelize, log);
    const box = new SecretBox(config.encryptionKeys);
    const count = await resealAll(sequelize, box);
    process.stdout.write(`re-sealed ${count} secret(s) under key ${box.currentKeyId}\n`);
  } finally {
    await sequelize.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

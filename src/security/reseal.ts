import { QueryTypes, type Sequelize } from "sequelize";
import type { SecretBox } from "./secret-box";

/** Every sealed column: table, its key column, the sealed column. */
const SEALED = [
  { table: "tenants", id: "client_key", column: "shared_secret" },
  { table: "links", id: "id", column: "token" },
  { table: "links", id: "id", column: "webhook_secret" },
  { table: "workspace_defaults", id: "client_key", column: "token" },
  { table: "forge_installations", id: "installation_id", column: "system_token" },
] as const;

/**
 * Re-seals every stored secret that was sealed with an older key under the current one, so the old key
 * can then be dropped from ENCRYPTION_KEYS_PREVIOUS. Safe to run while the app serves: each value is
 * replaced only if it is still the one read.
 */
export async function resealAll(sequelize: Sequelize, box: SecretBox): Promise<number> {
  let count = 0;
  for (const { table, id, column } of SEALED) {
    const rows = await sequelize.query<Record<string, string>>(`SELECT ${id} AS id, ${column} AS sealed FROM ${table}`, {
      type: QueryTypes.SELECT,
    });
    for (const row of rows) {
      if (!row.sealed || !box.isStale(row.sealed)) continue; // a Forge installation may hold no token yet
      await sequelize.query(`UPDATE ${table} SET ${column} = ? WHERE ${id} = ? AND ${column} = ?`, {
        replacements: [box.seal(box.open(row.sealed!)), row.id, row.sealed],
      });
      count++;
    }
  }
  return count;
}

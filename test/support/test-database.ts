import { randomBytes } from "node:crypto";
import { Client } from "pg";

/**
 * The database a test stack runs on. By default a fresh SQLite file; when TEST_DATABASE_URL points at a
 * PostgreSQL server, a fresh database created on it for this stack and dropped afterwards, so the whole
 * suite runs unchanged on both stores.
 */
export async function freshDatabaseUrl(sqlitePath: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = process.env.TEST_DATABASE_URL;
  if (!server || !/^postgres(ql)?:\/\//.test(server)) return { url: `sqlite:${sqlitePath}`, drop: async () => undefined };
  const name = `gl4bb_test_${randomBytes(6).toString("hex")}`;
  await admin(server, `CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(server: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

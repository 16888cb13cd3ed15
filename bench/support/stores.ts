import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";

export type StoreKind = "sqlite" | "postgres";

export interface Store {
  kind: StoreKind;
  url: string;
  /** A scratch folder (the SQLite file lives here; the app's DATA_DIR and logs too). */
  dir: string;
  drop(): Promise<void>;
}

/** The PostgreSQL server to create throwaway databases on (trust auth on this machine). */
export const pgServerUrl = () => process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh, empty database: a temp SQLite file, or a new database on the PostgreSQL server. */
export async function freshStore(kind: StoreKind, label: string): Promise<Store> {
  const dir = mkdtempSync(path.join(tmpdir(), `gl4bb-bench-${label}-`));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (kind === "sqlite") {
    return { kind, url: `sqlite:${path.join(dir, "app.sqlite")}`, dir, drop: async () => removeDir() };
  }
  const name = `gl4bb_bench_${label.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(pgServerUrl());
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    dir,
    drop: async () => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      removeDir();
    },
  };
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: pgServerUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

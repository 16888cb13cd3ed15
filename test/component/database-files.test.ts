import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/db/database";
import { createLogger } from "../../src/logger";

const mode = (file: string) => statSync(file).mode & 0o777;

describe("the SQLite database files", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "gl4bb-files-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function openAndWrite(file: string) {
    const sequelize = await openDatabase(`sqlite:${file}`, createLogger("silent"));
    // A write makes SQLite create the WAL and its shared-memory index beside the database.
    await sequelize.query("CREATE TABLE t (x INTEGER)");
    await sequelize.query("INSERT INTO t VALUES (1)");
    return sequelize;
  }

  it("a new database, its WAL and its shared-memory file are readable by the app's user only", async () => {
    const file = path.join(dir, "data", "app.sqlite");
    const sequelize = await openAndWrite(file);
    try {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        assert.ok(existsSync(f), `${f} exists`);
        assert.equal(mode(f).toString(8), "600", f);
      }
    } finally {
      await sequelize.close();
    }
  });

  it("a database left world-readable by an older version is narrowed to the app's user when opened", async () => {
    const file = path.join(dir, "app.sqlite");
    for (const f of [file, `${file}-wal`]) {
      writeFileSync(f, "");
      chmodSync(f, 0o644);
    }
    const sequelize = await openAndWrite(file);
    try {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f).toString(8), "600", f);
    } finally {
      await sequelize.close();
    }
  });
});

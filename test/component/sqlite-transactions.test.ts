import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import sqlite3 from "sqlite3";
import { openDatabase } from "../../src/db/database";
import { createLogger } from "../../src/logger";

// Sequelize runs each SQLite transaction on a connection of its own, opened for it. Under load (the full
// suite on a slow machine) a Forge call's transaction (noting the installation's contact, adopting Connect
// links) answered 500 now and then: that connection waited for the other connection's write lock only the
// driver's default 1 s (busy_timeout is per connection; the app sets 5 s), and failed at once when it had
// read before writing, instead of waiting its turn.
describe("SQLite transactions beside the app's other connection", function () {
  let dir: string;
  let sequelize: Sequelize;
  let other: sqlite3.Database;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gl4bb-tx-"));
    const file = path.join(dir, "app.sqlite");
    sequelize = await openDatabase(`sqlite:${file}`, createLogger("silent"));
    await sequelize.query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    await sequelize.query("INSERT INTO t (id, v) VALUES (1, 'first')");
    other = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(db)));
    });
    other.configure("busyTimeout", 5_000);
  });
  afterEach(async () => {
    await new Promise((resolve) => other.close(resolve));
    await sequelize.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (sql: string) => new Promise<void>((resolve, reject) => other.run(sql, (err) => (err ? reject(err) : resolve())));

  it("runs each transaction on a connection that waits for a write lock as long as the app's own", async () => {
    const waits = async (transaction?: Transaction) => {
      const [row] = await sequelize.query<Record<string, number>>("PRAGMA busy_timeout", {
        transaction,
        type: QueryTypes.SELECT,
      });
      return Object.values(row!)[0];
    };
    const inTransaction = await sequelize.transaction((transaction) => waits(transaction));
    assert.equal(inTransaction, await waits());
    assert.equal(inTransaction, 5_000);
  });

  it("runs a burst of transactions, more than libuv has pool threads, one after another: all commit", async () => {
    // Each waiting for the write lock on a pool thread, they left none for the one holding it.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        sequelize.transaction(async (transaction) => {
          await sequelize.query("INSERT INTO t (id, v) VALUES (?, 'burst')", { replacements: [100 + i], transaction });
          await new Promise((resolve) => setTimeout(resolve, 20));
          await sequelize.query("UPDATE t SET v = 'burst, twice' WHERE id = ?", { replacements: [100 + i], transaction });
        }),
      ),
    );
    const [row] = await sequelize.query<{ n: number }>("SELECT COUNT(*) AS n FROM t WHERE v = 'burst, twice'", {
      type: QueryTypes.SELECT,
    });
    assert.equal(row!.n, 12);
  });

  it("reads then writes without losing to a write that commits in between (the read does not go stale)", async () => {
    let otherWrite: Promise<void> | undefined;
    await sequelize.transaction(async (transaction) => {
      const rows = await sequelize.query<{ v: string }>("SELECT v FROM t WHERE id = 1", { transaction, type: QueryTypes.SELECT });
      // Another connection writes while this transaction holds what it read; it must wait for this one.
      otherWrite = run("INSERT INTO t (id, v) VALUES (2, 'other')");
      // Before the fix the other write commits at once; with it, it waits for this transaction.
      await Promise.race([otherWrite, new Promise((resolve) => setTimeout(resolve, 300))]);
      await sequelize.query("UPDATE t SET v = ? WHERE id = 1", {
        replacements: [`${rows[0]!.v}, then ours`],
        transaction,
        type: QueryTypes.UPDATE,
      });
    });
    await otherWrite;
    const rows = await sequelize.query<{ id: number; v: string }>("SELECT id, v FROM t ORDER BY id", { type: QueryTypes.SELECT });
    assert.deepEqual(
      rows.map((r) => [r.id, r.v]),
      [
        [1, "first, then ours"],
        [2, "other"],
      ],
    );
  });
});

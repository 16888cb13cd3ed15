/**
 * Times the outbox claim alone on SQLite, with a realistic queue: `npx tsx bench/claim-cost.ts [links]
 * [pending rows] [installations]` (defaults 50, 300, 50; try 50 100000). Prints the candidates statement's
 * query plan and the claim's mean time and CPU (this process's, SQLite's thread included: both statements
 * and the fair pick) for 1 row and for 16 rows; claimed rows are put back, so each run sees the same queue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { QueryTypes } from "sequelize";
import { openDatabase } from "../src/db/database";
import { DirectSql } from "../src/db/direct-sql";
import { migrate } from "../src/db/migrator";
import { createLogger } from "../src/logger";
import { candidatesParams, candidatesSql } from "../src/outbox/claim-sql";
import { Outbox } from "../src/outbox/outbox";

async function main(): Promise<void> {
  const [links = 50, pending = 300, installations = 50] = process.argv.slice(2).map(Number);
  const dir = mkdtempSync(path.join(tmpdir(), "claim-cost-"));
  const sequelize = await openDatabase(`sqlite:${path.join(dir, "db.sqlite")}`, createLogger("silent"));
  try {
    await migrate(sequelize);
    const sql = DirectSql.for(sequelize);
    const now = Date.now();
    await sequelize.transaction(async (transaction) => {
      for (let i = 0; i < pending; i++) {
        const link = i % links;
        await sequelize.query(
          `INSERT INTO outbox (client_key, link_id, kind, dedupe_key, payload, state, attempts, run_at, created_at, updated_at)
           VALUES (?, ?, 'status-sync', ?, '{}', 'pending', 0, ?, ?, ?)`,
          { replacements: [`tenant-${link % installations}`, `link-${link}`, `key-${i}`, now - 1000 + i, now, now], transaction },
        );
      }
    });
    // Git work prefers its cache's holder, as in the app (the budgeted kind is as before, for comparable figures).
    const affinity = { instanceId: "claim-cost", kinds: ["push-refs", "pr-pipelines"], headStartMs: 2_000, liveMs: 3_000 };
    const outbox = new Outbox(sql, 60_000, ["push-sync"], 4, affinity);
    const plan = await sequelize.query<{ detail: string }>(
      `EXPLAIN QUERY PLAN ${candidatesSql("sqlite", ["push-sync"], affinity.kinds)}`,
      { replacements: candidatesParams(now, 4, affinity), type: QueryTypes.SELECT },
    );
    console.log(plan.map((p) => p.detail).join("\n"));
    for (const limit of [1, 16]) {
      const runs = limit === 1 ? 400 : 100;
      let claimed = 0;
      let spent = 0n;
      let cpu = 0;
      for (let i = 0; i < runs; i++) {
        const t = process.hrtime.bigint();
        const c = process.cpuUsage();
        const items = await outbox.claim(limit);
        const used = process.cpuUsage(c);
        spent += process.hrtime.bigint() - t;
        cpu += used.user + used.system;
        claimed += items.length;
        await sql.query("UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'running'");
      }
      console.log(
        `links ${links}, pending ${pending}: claim(${limit}) ${(Number(spent / BigInt(runs)) / 1e6).toFixed(3)} ms, CPU ${(cpu / runs / 1000).toFixed(3)} ms, ${(claimed / runs).toFixed(1)} rows`,
      );
    }
  } finally {
    await sequelize.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

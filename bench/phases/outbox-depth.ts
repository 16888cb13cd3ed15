import type { Sequelize } from "sequelize";
import { openDatabase } from "../../src/db/database";
import { migrate } from "../../src/db/migrator";
import { createLogger } from "../../src/logger";
import { DirectSql } from "../../src/db/direct-sql";
import { Outbox } from "../../src/outbox/outbox";
import { OutboxWorker } from "../../src/outbox/worker";
import { sleep } from "../support/free-port";
import { round, summarize, type Summary } from "../support/stats";
import type { Store } from "../support/stores";

export interface DepthResult {
  rows: number;
  insertSeconds: number;
  /** Outbox.enqueue() with `rows` already queued, and again once the table is empty. */
  enqueueMs: { atDepth: Summary; empty: Summary };
  /** Outbox.claim() as the real worker calls it, while the table is still deep (first 10%). */
  claimMsAtDepth: Summary;
  /** Rows claimed and deleted per second by the real worker with a deliverer that does nothing. */
  drainPerSecond: number;
  /** The same rate over the first and the last 10% of the rows: equal when the indexes carry the depth. */
  firstTenthPerSecond: number;
  lastTenthPerSecond: number;
  concurrency: number;
  perInstallation: number;
}

const CHUNK = 500;

/**
 * The queue alone, in this process, on a fresh database: `rows` status-sync rows inserted in bulk, then
 * drained by OutboxWorker (the real claim, complete and pump loop) with a no-op deliverer.
 */
export async function outboxAtDepth(
  store: Store,
  rows: number,
  concurrency: number,
  perInstallation: number,
): Promise<DepthResult> {
  const log = createLogger("silent");
  const sequelize = await openDatabase(store.url, log);
  try {
    await migrate(sequelize);
    const t0 = performance.now();
    await bulkInsert(sequelize, rows);
    const insertSeconds = round((performance.now() - t0) / 1000, 2);
    // Every row is one installation's and one link's: at most `perInstallation` run at once.
    const outbox = new Outbox(DirectSql.for(sequelize), 60_000, ["status-sync"], perInstallation);
    const atDepth = await timeEnqueues(outbox, 500, "deep");

    const claims: { at: number; ms: number }[] = [];
    const claim = outbox.claim.bind(outbox);
    outbox.claim = async (limit: number) => {
      const s = performance.now();
      const items = await claim(limit);
      claims.push({ at: s, ms: performance.now() - s });
      return items;
    };
    const done: number[] = [];
    const complete = outbox.complete.bind(outbox);
    outbox.complete = async (id: number) => {
      await complete(id);
      done.push(performance.now());
    };
    const total = rows + atDepth.length;
    const noop = async () => undefined;
    const worker = new OutboxWorker(
      outbox,
      new Map([
        ["status-sync", noop],
        ["mirror-trigger", noop],
      ]),
      { concurrency, pollMs: 1000, maxAttempts: 12 },
      log,
    );
    const start = performance.now();
    worker.start();
    while (done.length < total) await sleep(50);
    await worker.stop(5_000);
    const seconds = (performance.now() - start) / 1000;

    const tenth = Math.floor(total / 10);
    const rate = (a: number, b: number) => Math.round((b - a) / ((done[b - 1]! - (a === 0 ? start : done[a - 1]!)) / 1000));
    const empty = await timeEnqueues(outbox, 500, "empty");
    return {
      rows,
      insertSeconds,
      enqueueMs: { atDepth: summarize(atDepth), empty: summarize(empty) },
      claimMsAtDepth: summarize(claims.filter((c) => c.at < (done[tenth] ?? Infinity)).map((c) => c.ms)),
      drainPerSecond: Math.round(total / seconds),
      firstTenthPerSecond: rate(0, tenth),
      lastTenthPerSecond: rate(total - tenth, total),
      concurrency,
      perInstallation,
    };
  } finally {
    await sequelize.close();
  }
}

/** Rows as intake would have queued them: one per commit and ref, all due now. */
async function bulkInsert(sequelize: Sequelize, rows: number): Promise<void> {
  const now = Date.now();
  await sequelize.transaction(async (transaction) => {
    for (let from = 0; from < rows; from += CHUNK) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = from; i < Math.min(rows, from + CHUNK); i++) {
        const sha = i.toString(16).padStart(40, "0");
        const payload = JSON.stringify({ linkId: "bench-link", sha, ref: "main", pipelineId: i });
        tuples.push("(?, ?, 'status-sync', ?, ?, 'pending', 0, ?, ?, ?)");
        values.push("bench-tenant", "bench-link", `status:bench-link:${sha}:main`, payload, now - rows + i, now, now);
      }
      await sequelize.query(
        `INSERT INTO outbox (client_key, link_id, kind, dedupe_key, payload, state, attempts, run_at, created_at, updated_at) VALUES ${tuples.join(", ")}`,
        { replacements: values, transaction },
      );
    }
  });
}

async function timeEnqueues(outbox: Outbox, count: number, tag: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    await outbox.enqueue({
      clientKey: "bench-tenant",
      linkId: "bench-link",
      kind: "status-sync",
      dedupeKey: `status:bench-link:${tag}-${i}:main`,
      payload: { linkId: "bench-link", sha: `${tag}-${i}`, ref: "main", pipelineId: i },
    });
    ms.push(performance.now() - s);
  }
  return ms;
}

import { randomUUID } from "node:crypto";
import { candidatesParams, candidatesSql, takeSql } from "./claim-sql";
import { fairPick, type Candidate } from "./fair-pick";
import type { SqlStore } from "./sql-store";
import { GroupCommit } from "../db/group-commit";

/** A kind of work; each use case (src/sync/) names its own. */
export type OutboxKind = string;

export interface OutboxItem<P = Record<string, unknown>> {
  id: number;
  clientKey: string;
  linkId: string | null;
  kind: OutboxKind;
  dedupeKey: string;
  payload: P;
  attempts: number;
  runAt: number;
  lastError: string | null;
  createdAt: number;
}

export interface NewWork<P> {
  clientKey: string;
  linkId: string | null;
  kind: OutboxKind;
  /** Work with the same key is delivered one at a time, and waiting work for it folds into one row. */
  dedupeKey: string;
  payload: P;
  delayMs?: number;
  /**
   * The webhook delivery this work comes from: if that delivery was already taken in, nothing is written.
   * Checking inside the write spares intake a statement; the delivery id is recorded after the write, so a
   * crash between the two leaves a resend to be taken in again rather than lost.
   */
  delivery?: { source: string; scope: string; id: string };
}

/**
 * Which instance this outbox claims for, and how it leaves a link's git work to the instance holding the
 * link's warm cache (several instances on PostgreSQL each keep their own cache).
 */
export interface Affinity {
  /** This instance, unique among those sharing the database. */
  instanceId: string;
  /** Kinds of work that run in the link's git cache. */
  kinds: readonly string[];
  /** How long, from when such a row comes due, other instances leave it to the cache's holder. */
  headStartMs: number;
  /** A holder not seen (heartbeat) for this long is gone: its links' rows are anyone's at once. */
  liveMs: number;
}

/**
 * The durable work queue between intake and delivery. Intake writes a row and only then answers the
 * webhook; workers claim due rows, deliver them and delete them, or put them back with a later run time.
 * Rows that failed for good stay, state `dead`, with their reason.
 */
export class Outbox {
  private readonly candidatesSql: string;
  private readonly takeSql: string;
  /** Rows delivered at about the same time are deleted in one statement (see group-commit.ts). */
  private readonly completions: GroupCommit<number>;
  /** Work written at about the same time (concurrent webhooks) goes in one statement; each learns its fate. */
  private readonly inserts: GroupCommit<NewRow, boolean>;
  /**
   * Keys of work this instance wrote that it has not claimed since (see mayHaveWork), each with the turn
   * its write was known done: a claim forgets only writes done before it leased, not one that raced it.
   */
  private written = new Map<string, number>();
  private writes = 0;
  /** Whether the last claim left due rows it could see behind (see mayHaveWork). */
  private left = true;
  /** Whether no other instance was seen at the last heartbeat: then every write is this one's (see mayHaveWork). */
  private alone = false;
  /** Claims run since start, by whether they found rows (metrics: a claim that finds none is a wasted statement). */
  readonly claims = { found: 0, empty: 0 };

  /**
   * @param budgeted kinds of work that spend the installation's Bitbucket budget: while it is held back
   *   (spent, or paused after a 429) their rows are not claimed, so they do not churn.
   * @param perInstallation rows of one installation that may be running at once (on every instance
   *   together), so that one installation's flood or slow GitLab cannot take every worker slot.
   */
  constructor(
    private readonly sql: SqlStore,
    private readonly leaseMs: number,
    budgeted: readonly string[] = [],
    private readonly perInstallation = 4,
    private readonly affinity: Affinity = { instanceId: randomUUID(), kinds: [], headStartMs: 0, liveMs: 0 },
  ) {
    this.candidatesSql = candidatesSql(sql.dialect, budgeted, affinity.kinds);
    this.takeSql = takeSql(sql.dialect);
    const remove =
      sql.dialect === "postgres"
        ? "DELETE FROM outbox WHERE id = ANY(?::bigint[])"
        : "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))";
    this.completions = new GroupCommit(async (ids) => {
      await sql.query(remove, [sql.dialect === "postgres" ? ids : JSON.stringify(ids)]);
    });
    const insert = enqueueSql();
    // SQLite only (one connection, one statement at a time): one row per key in a statement, a later row
    // of the key folding into the one before it in the next statement, as it always did. PostgreSQL writes
    // each row in a statement of its own (see enqueue).
    this.inserts = new GroupCommit(
      async (rows) => {
        const written = await sql.query<{ dedupe_key: string }>(insert, [JSON.stringify(rows)]);
        const keys = new Set(written.map((r) => String(r.dedupe_key)));
        return rows.map((r) => keys.has(r[3]));
      },
      { keyOf: (r) => r[3] },
    );
  }

  /**
   * Adds work, or folds it into the waiting row for the same key (keeping that row's place and backoff).
   * Returns false only when `w.delivery` names a delivery already taken in (nothing was written).
   */
  async enqueue<P>(w: NewWork<P>): Promise<boolean> {
    const now = Date.now();
    const row: NewRow = [
      w.clientKey,
      w.linkId,
      w.kind,
      w.dedupeKey,
      JSON.stringify(w.payload),
      now + (w.delayMs ?? 0),
      now,
      w.delivery?.source ?? "",
      w.delivery?.scope ?? "",
      w.delivery?.id ?? "",
    ];
    if (this.sql.dialect === "sqlite") return this.noteWritten(w.dedupeKey, await this.inserts.add(row));
    // PostgreSQL's pool runs concurrent webhooks' inserts side by side already. Grouping them there (one
    // statement, or one at a time through the group) delivered about half as many events end to end in
    // the bench (23–27 against 38–46 events/s), for reasons not yet understood: measured, not guessed.
    const [clientKey, linkId, kind, dedupeKey, payload, runAt, , source, scope, id] = row;
    const written = await this.sql.query(
      `INSERT INTO outbox (client_key, link_id, kind, dedupe_key, payload, state, attempts, run_at, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?
       WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE source = ? AND scope = ? AND delivery_id = ?)
       ON CONFLICT (dedupe_key) WHERE state = 'pending'
       DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at
       RETURNING id`,
      [clientKey, linkId, kind, dedupeKey, payload, runAt, now, now, source, scope, id],
    );
    return this.noteWritten(dedupeKey, written.length > 0);
  }

  private noteWritten(dedupeKey: string, written: boolean): boolean {
    if (!written) return false;
    // Bounded: keys another instance claimed stay here. Forgetting them all is safe (one claim more).
    if (this.written.size >= MAX_WRITTEN_KEYS) {
      this.written = new Map();
      this.left = true;
    }
    this.written.set(dedupeKey, ++this.writes);
    return true;
  }

  /**
   * Takes up to `limit` due rows whose key has nothing in flight and whose installation is not held
   * back by its Bitbucket budget, leasing them to this worker: a few from each busy link, at most
   * `perInstallation` running per installation, shared round-robin (see claim-sql.ts). On PostgreSQL
   * SKIP LOCKED lets several instances claim side by side without taking the same row.
   */
  async claim(limit: number): Promise<OutboxItem[]> {
    if (limit <= 0) return [];
    const now = Date.now();
    // Each link's oldest row first: with many links busy that is all a claim takes (and every row read
    // costs the driver a JavaScript object). Only when a link may hold a row the pick would have taken
    // is it read again with as many rows per link as it could take (no more than the claim takes, nor
    // than its installation may run).
    const most = Math.max(1, Math.min(limit, Math.floor(this.perInstallation)));
    let ids: number[] = [];
    let left = false;
    // Two rows per link at first, not one: a link that gives fewer than it was asked for has no row left
    // behind, which is how the claim knows whether rows are left for the next one (`mayHaveWork`).
    for (let perLink = Math.min(2, most); ; perLink = most) {
      const rows = await this.sql.query<CandidateRow>(this.candidatesSql, candidatesParams(now, perLink, this.affinity));
      const running = new Map<string, number>();
      const candidates: Candidate[] = [];
      for (const r of rows) {
        if (r.id == null) {
          running.set(String(r.client_key), Number(r.n));
          continue;
        }
        candidates.push({
          id: Number(r.id),
          clientKey: String(r.client_key),
          linkId: r.link_id == null ? null : String(r.link_id),
          runAt: Number(r.run_at),
        });
      }
      const pick = fairPick(candidates, running, this.perInstallation, limit, perLink < most ? perLink : Infinity);
      ids = pick.ids;
      left = ids.length < candidates.length || lanesFull(candidates, perLink);
      if (pick.exact) break;
    }
    this.left = left;
    if (ids.length === 0) {
      this.claims.empty++;
      return [];
    }
    const before = this.writes;
    const taken = await this.sql.query<Record<string, unknown>>(this.takeSql, [
      now + this.leaseMs,
      now,
      this.sql.dialect === "postgres" ? ids : JSON.stringify(ids),
      now,
    ]);
    if (taken.length > 0) this.claims.found++;
    else this.claims.empty++;
    // Another instance took some meanwhile (PostgreSQL): what it left may be due too.
    if (taken.length < ids.length) this.left = true;
    // RETURNING keeps no order: start them in the order the fair pick chose.
    const order = new Map(ids.map((id, i) => [id, i]));
    const items = taken.map(toItem).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    for (const item of items) if ((this.written.get(item.dedupeKey) ?? Infinity) <= before) this.written.delete(item.dedupeKey);
    return items;
  }

  /**
   * Whether a claim now could find work once `item`'s delivery is done: the last claim left due rows
   * behind (its limit, an installation's share), or this instance wrote work of the item's key since it
   * was claimed (it waited for this delivery: one key runs at a time), or other instances are alive (the
   * heartbeat saw one): they may have written work for the key, which only this completion frees.
   *
   * Why (issue 16): the worker claimed again after every delivery, and on SQLite that claim, which mostly
   * found nothing, was three statements in ten per event. Rows that come due later (retries, holds, a
   * cache holder's head start) are found by the worker's poll, as before when it was idle.
   */
  mayHaveWork(item: Pick<OutboxItem, "dedupeKey">): boolean {
    return this.left || !this.alone || this.written.has(item.dedupeKey);
  }

  /** Removes a delivered row (settles once it is gone). */
  async complete(id: number): Promise<void> {
    await this.completions.add(id);
  }

  /** Whether rows of this kind run in their link's git cache (the claim prefers the cache's holder). */
  isSticky(kind: OutboxKind): boolean {
    return this.affinity.kinds.includes(kind);
  }

  /** This instance ran the link's git work and holds its warm cache now: the link's next such rows prefer it. */
  async holdCache(linkId: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO outbox_affinity (link_id, instance_id, at) VALUES (?, ?, ?)
       ON CONFLICT (link_id) DO UPDATE SET instance_id = excluded.instance_id, at = excluded.at`,
      [linkId, this.affinity.instanceId, Date.now()],
    );
  }

  /**
   * This instance is alive (the claim of other instances reads it to know whether a cache's holder is
   * gone); instances silent for a day are forgotten.
   */
  async heartbeat(now = Date.now()): Promise<void> {
    await this.sql.query(
      `INSERT INTO outbox_instances (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`,
      [this.affinity.instanceId, now],
    );
    await this.sql.query("DELETE FROM outbox_instances WHERE seen_at < ?", [now - DAY_MS]);
    const [others] = await this.sql.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM outbox_instances WHERE id <> ? AND seen_at > ?",
      [this.affinity.instanceId, now - this.affinity.liveMs],
    );
    this.alone = Number(others?.n ?? 0) === 0;
  }

  /** This instance stops: the links whose caches it holds are anyone's at once. */
  async leave(): Promise<void> {
    await this.sql.query("DELETE FROM outbox_instances WHERE id = ?", [this.affinity.instanceId]);
  }

  /**
   * Puts a failed row back to run at `runAt`. If newer work for the same key arrived meanwhile, that row
   * carries on instead, inheriting the backoff so a failing peer is not hit again at once.
   */
  async retry(item: OutboxItem, runAt: number, error: string, countAttempt = true): Promise<void> {
    const now = Date.now();
    runAt = Math.round(runAt); // backoff with jitter is fractional; run_at is a BIGINT of milliseconds
    const attempts = countAttempt ? item.attempts : item.attempts - 1;
    const back = await this.sql.query(
      `UPDATE outbox SET state = 'pending', run_at = ?, attempts = ?, lease_until = NULL, last_error = ?, updated_at = ?
       WHERE id = ? AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.dedupe_key = ? AND p.state = 'pending')
       RETURNING id`,
      [runAt, attempts, error, now, item.id, item.dedupeKey],
    );
    if (back.length > 0) return;
    await this.sql.query(
      `UPDATE outbox SET run_at = CASE WHEN run_at < ? THEN ? ELSE run_at END,
         attempts = CASE WHEN attempts < ? THEN ? ELSE attempts END, last_error = ?, updated_at = ?
       WHERE dedupe_key = ? AND state = 'pending'`,
      [runAt, runAt, attempts, attempts, error, now, item.dedupeKey],
    );
    await this.complete(item.id);
  }

  /**
   * Holds every row of a link until `until` (its GitLab budget is spent): the claim passes the link over
   * instead of claiming and putting back its rows one by one.
   */
  async holdLink(linkId: string, until: number): Promise<void> {
    until = Math.round(until);
    await this.sql.query(
      `INSERT INTO outbox_holds (link_id, held_until) VALUES (?, ?)
       ON CONFLICT (link_id) DO UPDATE SET held_until = excluded.held_until WHERE outbox_holds.held_until < excluded.held_until`,
      [linkId, until],
    );
  }

  /** Gives up on a row for good; it stays, with its reason, for people to see. */
  async bury(id: number, error: string): Promise<void> {
    await this.sql.query("UPDATE outbox SET state = 'dead', lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?", [
      error,
      Date.now(),
      id,
    ]);
  }

  /**
   * Rows whose worker died mid-delivery (its lease ran out) go back to the queue, or are dropped when
   * newer work for the same key is already waiting.
   */
  async recoverExpiredLeases(): Promise<number> {
    const now = Date.now();
    await this.sql.query(
      `DELETE FROM outbox WHERE state = 'running' AND lease_until < ?
         AND EXISTS (SELECT 1 FROM outbox p WHERE p.dedupe_key = outbox.dedupe_key AND p.state = 'pending')`,
      [now],
    );
    const back = await this.sql.query(
      `UPDATE outbox SET state = 'pending', lease_until = NULL, run_at = ?, updated_at = ?
       WHERE state = 'running' AND lease_until < ? RETURNING id`,
      [now, now, now],
    );
    return back.length;
  }

  /**
   * Milliseconds until the next waiting row comes due, or null if none is scheduled for later. Rows
   * already due are not counted: if they were not claimed, their key is in flight, and its completion
   * wakes the worker anyway.
   */
  async nextDueIn(now = Date.now()): Promise<number | null> {
    const [row] = await this.sql.query<{ at: number | string | null }>(
      "SELECT MIN(run_at) AS at FROM outbox WHERE state = 'pending' AND run_at > ?",
      [now],
    );
    return row?.at == null ? null : Math.max(0, Number(row.at) - now);
  }

  /** How long the oldest row that is due has been waiting past its run time (0 if none). */
  async oldestDueAgeMs(now = Date.now()): Promise<number> {
    const [row] = await this.sql.query<{ at: number | string | null }>(
      "SELECT MIN(run_at) AS at FROM outbox WHERE state = 'pending' AND run_at <= ?",
      [now],
    );
    return row?.at == null ? 0 : now - Number(row.at);
  }

  async depth(): Promise<{ pending: number; running: number; dead: number }> {
    const rows = await this.sql.query<{ state: string; n: number | string }>(
      "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state",
    );
    const count = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
    return { pending: count("pending"), running: count("running"), dead: count("dead") };
  }

  /** How many rows of a link are waiting or being delivered: the settings page refreshes itself while any are. */
  async inFlightForLink(linkId: string): Promise<number> {
    const [row] = await this.sql.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM outbox WHERE link_id = ? AND state IN ('pending', 'running')",
      [linkId],
    );
    return Number(row?.n ?? 0);
  }

  /** Every given-up row (of one installation): for tests and tools; pages use `deadForLink`. */
  async dead(clientKey?: string): Promise<OutboxItem[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT * FROM outbox WHERE state = 'dead' ${clientKey ? "AND client_key = ?" : ""} ORDER BY id`,
      clientKey ? [clientKey] : [],
    );
    return rows.map(toItem);
  }

  /** A link's newest given-up rows, newest first, at most `limit` of them (read through outbox_link_state). */
  async deadForLink(linkId: string, limit: number): Promise<OutboxItem[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      "SELECT * FROM outbox WHERE link_id = ? AND state = 'dead' ORDER BY id DESC LIMIT ?",
      [linkId, limit],
    );
    return rows.map(toItem);
  }

  /** One given-up row of a link, or null. */
  async deadOfLink(linkId: string, id: number): Promise<OutboxItem | null> {
    const [row] = await this.sql.query<Record<string, unknown>>(
      "SELECT * FROM outbox WHERE id = ? AND link_id = ? AND state = 'dead'",
      [id, linkId],
    );
    return row ? toItem(row) : null;
  }

  /**
   * Forgets given-up rows older than `olderThan` (by when they were given up), and beyond the newest
   * `keepPerLink` of each link (or of each installation, for rows of no link). Returns how many went.
   */
  async pruneDead(olderThan: number, keepPerLink: number): Promise<number> {
    const gone = await this.sql.query(
      `DELETE FROM outbox WHERE state = 'dead' AND (updated_at < ? OR id IN (
         SELECT id FROM (
           SELECT id, ROW_NUMBER() OVER (PARTITION BY COALESCE(link_id, client_key) ORDER BY id DESC) AS n
           FROM outbox WHERE state = 'dead') ranked
         WHERE n > ?))
       RETURNING id`,
      [olderThan, keepPerLink],
    );
    return gone.length;
  }

  async removeTenant(clientKey: string): Promise<void> {
    await this.sql.query("DELETE FROM outbox WHERE client_key = ?", [clientKey]);
  }

  async removeLink(linkId: string): Promise<void> {
    await this.sql.query("DELETE FROM outbox WHERE link_id = ?", [linkId]);
    await this.sql.query("DELETE FROM outbox_holds WHERE link_id = ?", [linkId]);
    await this.sql.query("DELETE FROM outbox_affinity WHERE link_id = ?", [linkId]);
  }
}

const DAY_MS = 24 * 60 * 60_000;
const MAX_WRITTEN_KEYS = 10_000;

/** New work as enqueue writes it: installation, link, kind, key, payload, run at, now, and the delivery (source, scope, id). */
type NewRow = [string, string | null, string, string, string, number, number, string, string, string];

/**
 * SQLite: writes new work given as one JSON parameter (rows of NewRow), skipping rows whose delivery was
 * taken in already, folding each into the waiting row of its key; returns the keys written or folded.
 */
function enqueueSql(): string {
  const at = (i: number) => `json_extract(r.value, '$[${i}]')`;
  return `INSERT INTO outbox (client_key, link_id, kind, dedupe_key, payload, state, attempts, run_at, created_at, updated_at)
     SELECT ${at(0)}, ${at(1)}, ${at(2)}, ${at(3)}, ${at(4)}, 'pending', 0, ${at(5)}, ${at(6)}, ${at(6)}
     FROM json_each(?) AS r
     WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.source = ${at(7)} AND d.scope = ${at(8)} AND d.delivery_id = ${at(9)})
     ON CONFLICT (dedupe_key) WHERE state = 'pending'
     DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at
     RETURNING dedupe_key`;
}

/** A row of the claim's candidates statement: a candidate, or (id null) an installation's running count `n`. */
interface CandidateRow {
  id: unknown;
  client_key: unknown;
  link_id: unknown;
  run_at: unknown;
  n: unknown;
}

const toItem = (r: Record<string, unknown>): OutboxItem => ({
  id: Number(r.id),
  clientKey: String(r.client_key),
  linkId: r.link_id == null ? null : String(r.link_id),
  kind: String(r.kind) as OutboxKind,
  dedupeKey: String(r.dedupe_key),
  payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
  attempts: Number(r.attempts),
  runAt: Number(r.run_at),
  lastError: r.last_error == null ? null : String(r.last_error),
  createdAt: Number(r.created_at),
});

/** Whether a link gave every row the claim asked of it: then it may hold more than were read. */
function lanesFull(candidates: readonly Candidate[], perLink: number): boolean {
  const perLane = new Map<string | null, number>();
  for (const c of candidates) {
    const n = (perLane.get(c.linkId) ?? 0) + 1;
    if (n >= perLink) return true;
    perLane.set(c.linkId, n);
  }
  return false;
}

/**
 * Group commit for writes of the per-event path that answer nothing row by row: rows added while a write
 * is under way (or in the same turn of the event loop) go to the database together in the next write,
 * one statement for many rows. Each caller's promise settles when its own row is written, so nothing is
 * acknowledged before it is durable; what changes is only how many statements carry the rows.
 *
 * Why (issue 16): on SQLite every statement costs the main thread a bind and a thread-pool hand-off, and a
 * dozen statements per event were a fifth of the app's CPU. The batch is as large as the load makes it:
 * one row when the app is idle (no added wait), dozens when statements queue behind each other.
 *
 * A batch that fails is written again row by row, so one bad row (its owner deleted meanwhile) fails
 * only its own caller.
 *
 * A read of the per-event path groups the same way when each caller's answer is its own (what was posted
 * on a commit, in posted-statuses.ts, on SQLite): the write then answers one result per row.
 */
export class GroupCommit<T, R = void> {
  private waiting: Waiter<T, R>[] = [];
  private readonly writing = new Set<Promise<void>>();
  private scheduled = false;

  /**
   * @param write writes the rows in one statement (or a few); must accept any count from 1 to `maxRows`,
   *   and may answer one result per row, in order (each caller gets its own).
   * @param options.maxRows the most rows per write: bound by the statement's parameters.
   * @param options.keyOf when set, no two rows of one write have the same key (a PostgreSQL upsert may not
   *   touch a row twice): a row whose key is already in the write waits for the next one, in order.
   *
   * One write at a time, on both stores: SQLite has one connection; on PostgreSQL, 4 at once of each of the
   * four kinds (up to 16 connections of a pool of 10) starved the pool, and the bench delivered 25–31
   * events/s end to end against 33–42 with one at a time.
   */
  constructor(
    private readonly write: (rows: T[]) => Promise<R[] | void>,
    private readonly options: { maxRows?: number; keyOf?: (row: T) => string } = {},
  ) {}

  /** Adds a row; settles with its result once it is written (or rejects when its write failed). */
  add(row: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      this.schedule();
    });
  }

  // Rows added in this turn of the event loop join the same write.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    while (this.waiting.length > 0 && this.writing.size === 0) {
      const write: Promise<void> = this.writeBatch(this.nextBatch()).finally(() => {
        this.writing.delete(write);
        // Rows that came meanwhile go in the next write at once.
        this.start();
      });
      this.writing.add(write);
    }
  }

  private nextBatch(): Waiter<T, R>[] {
    const maxRows = this.options.maxRows ?? 100;
    const keyOf = this.options.keyOf;
    if (!keyOf) return this.waiting.splice(0, maxRows);
    const batch: Waiter<T, R>[] = [];
    const later: Waiter<T, R>[] = [];
    const keys = new Set<string>();
    for (const w of this.waiting) {
      const key = keyOf(w.row);
      if (batch.length >= maxRows || keys.has(key)) later.push(w);
      else {
        keys.add(key);
        batch.push(w);
      }
    }
    this.waiting = later;
    return batch;
  }

  private async writeBatch(batch: Waiter<T, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((w) => w.row));
      batch.forEach((w, i) => w.resolve(results ? results[i]! : (undefined as R)));
      return;
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
    }
    for (const w of batch) {
      try {
        const results = await this.write([w.row]);
        w.resolve(results ? results[0]! : (undefined as R));
      } catch (err) {
        w.reject(err);
      }
    }
  }
}

interface Waiter<T, R> {
  row: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * `SELECT … FROM` the rows of one JSON parameter (an array of arrays, one per row, values in `columns`
 * order): the source of a multi-row INSERT whose text is the same whatever the count, so it stays one
 * prepared statement (texts per count would soon fill direct-sql's cache). Ends in a WHERE, which SQLite
 * needs before an ON CONFLICT clause of an INSERT … SELECT.
 */
export function jsonRows(dialect: "sqlite" | "postgres", columns: readonly ColumnType[]): string {
  if (dialect === "sqlite") {
    return `SELECT ${columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")} FROM json_each(?) WHERE true`;
  }
  return `SELECT ${columns.map((t, i) => `(x->>${i})::${t}`).join(", ")} FROM json_array_elements(?::json) x WHERE true`;
}

export type ColumnType = "text" | "bigint" | "integer";

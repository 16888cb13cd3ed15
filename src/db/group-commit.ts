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
 */
export class GroupCommit<T> {
  private waiting: Waiter<T>[] = [];
  private running: Promise<void> | null = null;

  /**
   * @param write writes the rows in one statement (or a few); must accept any count from 1 to `maxRows`.
   * @param maxRows the most rows per write: bound by the statement's parameters (SQLite allows 32,766).
   */
  constructor(
    private readonly write: (rows: T[]) => Promise<void>,
    private readonly maxRows = 100,
  ) {}

  /** Adds a row; settles once it is written (or its write failed). */
  add(row: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      if (!this.running) this.running = this.drain();
    });
  }

  /** Settles when every row added so far is written. */
  async flushed(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Rows not yet written, for callers that must drop some (their owner is being removed). */
  discard(drop: (row: T) => boolean): void {
    const kept: Waiter<T>[] = [];
    for (const w of this.waiting) {
      if (drop(w.row)) w.resolve();
      else kept.push(w);
    }
    this.waiting = kept;
  }

  private async drain(): Promise<void> {
    // Rows added in this turn of the event loop join the first write.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxRows);
      await this.writeBatch(batch);
    }
    this.running = null;
  }

  private async writeBatch(batch: Waiter<T>[]): Promise<void> {
    try {
      await this.write(batch.map((w) => w.row));
      for (const w of batch) w.resolve();
      return;
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
    }
    for (const w of batch) {
      try {
        await this.write([w.row]);
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
  }
}

interface Waiter<T> {
  row: T;
  resolve: () => void;
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

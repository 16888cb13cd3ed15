/**
 * What the queue needs of a database: one statement at a time, `?` placeholders, rows back. The
 * composition root hands it the app's connection (src/db/direct-sql.ts); the queue knows no driver.
 * A write refused because its owner is gone throws OwnerGone (src/errors.ts).
 */
export interface SqlStore {
  readonly dialect: "sqlite" | "postgres";
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

import { OwnerGone, PeerFailure, WorkAbandoned, WorkDeferred } from "../errors";
import type { SqlStore } from "./sql-store";

export interface BudgetOptions {
  /** Calls allowed per hour and installation; Bitbucket allows about 1,000 before answering 429. */
  perHour: number;
  /** How many calls may go at once after a quiet spell. */
  burst: number;
  /** How long an installation is held after a 429 that does not say (Bitbucket's limit is per rolling hour). */
  pauseAfter429Ms: number;
}

/**
 * A token bucket per Bitbucket installation, kept in the database so every instance draws from the same
 * one, plus a pause set when Bitbucket answers 429 anyway. Only that installation waits; others go on.
 *
 * An installation whose calls from this process come faster than its reserve lasts takes them from the
 * database a few at a time (doubling up to `MAX_RESERVE`, at most a quarter of the burst, one reserving take
 * at a time) and spends them here without a statement each: the budget's write was one of the few statements
 * every delivered status costs (issue 16). Calls not spent within `RESERVE_MS` go back to the database with
 * the installation's next take from this process; each reserve that expires unspent halves the next, and a
 * near-empty bucket starts again from one. What this changes: another instance may find up to
 * `MAX_RESERVE - 1` fewer calls until this one takes again (if it never does, until the bucket refills to its
 * burst), and a pause another instance sets is seen here at the next take, after at most that many calls. A
 * pause set here (a 429, or the bucket empty) makes the reserve unspendable; it goes back at the next take.
 * Erasing a tenant drops this process's reserve for it (removeTenant); another instance's lasts out its
 * second, and Bitbucket refuses an uninstalled app's calls anyway.
 */
export class TenantBudget {
  private readonly ratePerMs: number;
  /** Calls taken ahead, by installation: spent here until `until`, then given back. */
  private readonly reserves = new Map<string, Reserve>();

  constructor(
    private readonly sql: SqlStore,
    private readonly opts: BudgetOptions,
  ) {
    this.ratePerMs = opts.perHour / 3_600_000;
  }

  /**
   * Makes one Bitbucket call within the installation's budget: waits for it (WorkDeferred, which costs the
   * work no attempt) when it is spent, and holds the whole installation when Bitbucket answers 429.
   */
  async spend<T>(installationKey: string, call: () => Promise<T>): Promise<T> {
    const wait = this.spendReserved(installationKey) ? 0 : await this.take(installationKey);
    if (wait > 0) throw new WorkDeferred("waiting for this installation's Bitbucket rate budget", wait);
    try {
      return await call();
    } catch (e) {
      if (e instanceof PeerFailure && e.status === 429) {
        await this.pause(installationKey, Date.now() + (e.retryAfterMs ?? this.opts.pauseAfter429Ms));
      }
      throw e;
    }
  }

  /** Spends one call taken ahead for this installation, if one is left and still fresh. */
  private spendReserved(clientKey: string, now = Date.now()): boolean {
    const reserve = this.reserves.get(clientKey);
    if (!reserve || reserve.left < 1 || now >= reserve.until) return false;
    reserve.left--;
    return true;
  }

  /**
   * Takes one call from the installation's budget, and with it a few more when the installation has been
   * calling faster than its reserve lasted. Returns 0 when it may call now, otherwise how many milliseconds
   * to wait (the budget is then left untouched).
   */
  async take(clientKey: string, now = Date.now()): Promise<number> {
    let reserve = this.reserves.get(clientKey);
    if (!reserve) this.reserves.set(clientKey, (reserve = { left: 0, until: 0, want: 1, taking: 0, pausedAt: 0 }));
    // Calls left over from an expired reserve go back in the same statement (taken off here first, so two
    // takes at once cannot give the same calls back twice).
    const giveBack = now >= reserve.until ? reserve.left : 0;
    reserve.left -= giveBack;
    // Only one take at a time reserves: the others, under way at the same moment, take their own call. So
    // this process never holds more than MAX_RESERVE - 1 calls ahead however many deliveries run at once.
    const reserving = reserve.taking === 0;
    if (reserving) {
      // The last reserve ran out before its time: this installation calls faster than a take a second.
      if (reserve.left < 1 && now < reserve.until) reserve.want = Math.min(MAX_RESERVE, reserve.want * 2);
      else if (giveBack > 0) reserve.want = Math.max(1, Math.floor(reserve.want / 2));
    }
    // Never more than a quarter of the burst, so one instance cannot take the whole bucket.
    const want = reserving ? Math.min(reserve.want, Math.max(1, Math.floor(this.opts.burst / 4))) : 1;
    reserve.taking++;
    try {
      // A statement that fails may still have committed: its calls given back are not put back here (the
      // bucket may hold a few calls fewer than it could, never more).
      if (await this.takeFromTable(clientKey, want, giveBack, now)) return this.reserved(reserve, want, now);
      // Too few calls left for a reserve: take just this one, and start again from one.
      if (want > 1) {
        reserve.want = 1;
        if (await this.takeFromTable(clientKey, 1, giveBack, now)) return this.reserved(reserve, 1, now);
      }
    } finally {
      reserve.taking--;
    }
    // Refused: nothing changed in the table, so the calls to give back are still this process's.
    reserve.left += giveBack;
    const [row] = await this.sql.query<{
      tokens: number | string;
      refilled_at: number | string;
      paused_until: number | string;
    }>("SELECT tokens, refilled_at, paused_until FROM tenant_budgets WHERE client_key = ?", [clientKey]);
    if (!row) return 0;
    const pausedFor = Number(row.paused_until) - now;
    const tokens = Math.min(this.opts.burst, Number(row.tokens) + (now - Number(row.refilled_at)) * this.ratePerMs);
    const refillFor = tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.ratePerMs);
    const wait = Math.max(pausedFor, refillFor, 1);
    // Out of tokens: hold the installation until the next one, so the outbox stops claiming its rows
    // (otherwise every waiting row would be claimed and put back again and again).
    if (refillFor > 0) await this.pause(clientKey, now + refillFor);
    return wait;
  }

  private reserved(reserve: Reserve, taken: number, now: number): number {
    reserve.left += taken - 1; // one is this call's
    // A pause set while this take was under way keeps the reserve unspendable: its calls go back.
    if (reserve.pausedAt < now) reserve.until = now + RESERVE_MS;
    return 0;
  }

  /**
   * Refills by elapsed time (capped at the burst), adds back `giveBack` and spends `want`, in a single
   * statement, so concurrent workers of several instances cannot both spend the last token. False when the
   * installation is paused or has fewer than `want` calls left (nothing is then changed).
   */
  private async takeFromTable(clientKey: string, want: number, giveBack: number, now: number): Promise<boolean> {
    const { burst } = this.opts;
    const min = this.sql.dialect === "postgres" ? "LEAST" : "MIN";
    // `now`, `want` and `giveBack` are bound, never spliced in: the statement's text must stay the same from
    // call to call, since direct-sql keeps one prepared statement per text.
    const refilled = `${min}(${burst}, tenant_budgets.tokens + (? - tenant_budgets.refilled_at) * ${this.ratePerMs} + ?)`;
    const taken = await this.sql
      .query(
        `INSERT INTO tenant_budgets (client_key, tokens, refilled_at, paused_until) VALUES (?, ?, ?, 0)
       ON CONFLICT (client_key) DO UPDATE SET tokens = ${refilled} - ?, refilled_at = ?
       WHERE tenant_budgets.paused_until <= ? AND ${refilled} >= ?
       RETURNING tokens`,
        [clientKey, burst - want, now, now, giveBack, want, now, now, now, giveBack, want],
      )
      .catch((err: unknown) => {
        // The installation was removed while this work was on its way: nothing may be sent for it.
        if (err instanceof OwnerGone) throw new WorkAbandoned("the app was uninstalled from this workspace");
        throw err;
      });
    return taken.length > 0;
  }

  /**
   * How many calls the installation could make now, and how long until it could make `calls` more while
   * leaving `reserve` untouched (0 when it can now). Work that may wait (reports) asks this first, so
   * statuses keep their share when the budget runs low.
   */
  async headroom(clientKey: string, calls: number, reserve: number, now = Date.now()): Promise<number> {
    const [row] = await this.sql.query<{ tokens: number | string; refilled_at: number | string; paused_until: number | string }>(
      "SELECT tokens, refilled_at, paused_until FROM tenant_budgets WHERE client_key = ?",
      [clientKey],
    );
    const { burst } = this.opts;
    if (!row) return calls + reserve <= burst ? 0 : Math.ceil((calls + reserve - burst) / this.ratePerMs);
    const pausedFor = Number(row.paused_until) - now;
    const tokens = Math.min(burst, Number(row.tokens) + (now - Number(row.refilled_at)) * this.ratePerMs);
    // Calls this process took ahead and has not spent are the installation's too.
    const ahead = this.reserves.get(clientKey);
    const short = calls + reserve - tokens - (ahead && now < ahead.until ? ahead.left : 0);
    return Math.max(pausedFor, short > 0 ? Math.ceil(short / this.ratePerMs) : 0, 0);
  }

  /** Hold every call of this installation until `until` (Bitbucket said 429, or the budget is spent). */
  async pause(clientKey: string, until: number): Promise<void> {
    until = Math.round(until); // paused_until is a BIGINT of milliseconds
    // Calls taken ahead stop being spendable here; they go back to the bucket with the next take. The object
    // stays, so a take under way at this moment adds its calls where they will be given back (reserved()).
    const reserve = this.reserves.get(clientKey);
    if (reserve) {
      reserve.until = 0;
      reserve.pausedAt = Date.now();
    }
    await this.sql.query(
      `UPDATE tenant_budgets SET paused_until = CASE WHEN paused_until < ? THEN ? ELSE paused_until END WHERE client_key = ?`,
      [until, until, clientKey],
    );
  }

  async removeTenant(clientKey: string): Promise<void> {
    this.reserves.delete(clientKey);
    await this.sql.query("DELETE FROM tenant_budgets WHERE client_key = ?", [clientKey]);
  }
}

/** The most calls taken ahead at once for one installation. */
const MAX_RESERVE = 8;
/** How long calls taken ahead may be spent before they go back. */
const RESERVE_MS = 1_000;

interface Reserve {
  /** Calls taken and not yet spent. */
  left: number;
  /** When they stop being spendable here (given back at the next take). */
  until: number;
  /** How many the next take asks for: doubles while reserves run out early, halves when they expire unspent. */
  want: number;
  /** Takes under way: while one is, the others take one call each. */
  taking: number;
  /** When this process last paused the installation. */
  pausedAt: number;
}

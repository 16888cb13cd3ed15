/**
 * The claim's two statements, built once per outbox.
 *
 * Fair, not first-in-first-out: a flood of hooks on one link (issue 17: 15,000 in 30 s) used to fill every
 * worker slot with that link's rows while another installation's single status waited behind them. So
 * the claim looks at each link ("lane") that has waiting work and reads only its oldest few due rows,
 * with the count of rows each installation already has running (on any instance); which of them to take
 * is decided in fair-pick.ts; then the chosen rows are leased by id.
 *
 * Why two statements and the choice in code (issue 16): the ranking used to be done by window functions
 * in one statement, which cost SQLite about 4 ms per claim with 300 waiting rows on 50 links (0.3 ms for
 * reading the candidates, the rest for the windows and sorts over them), and SQLite runs one statement at
 * a time, so every intake insert and status write waited behind each claim. Reading the candidates is a
 * skip scan (one index seek per link with waiting work) and a bounded index range per link, so it does
 * not grow with the depth of the queue, only with the number of busy links.
 */

/**
 * Due rows, at most a per-link limit of them per link, that could be claimed now: pending, due, nothing of
 * their key in flight, not of a kind held back by its installation's Bitbucket budget, not left to the
 * instance that holds their link's git cache, their link not held; then one row per installation with
 * rows running, with `n` set (and `id` null). Its parameters come from `candidatesParams`.
 *
 * @param budgeted kinds whose rows are not claimed while their installation's Bitbucket budget is paused.
 * @param sticky kinds that work in the link's git cache: while the instance that last ran one for the link
 *   (outbox_affinity) is alive (its heartbeat in outbox_instances is recent), the others leave the link's
 *   rows of these kinds to it until they have been due for the head start.
 */
export function candidatesSql(
  dialect: "sqlite" | "postgres",
  budgeted: readonly string[],
  sticky: readonly string[] = [],
): string {
  const list = (names: readonly string[]) => names.map((b) => `'${b.replace(/'/g, "''")}'`).join(", ") || "''";
  const eligible = (y: string) => `${y}.state = 'pending' AND ${y}.run_at <= ?
      AND NOT EXISTS (SELECT 1 FROM outbox r WHERE r.dedupe_key = ${y}.dedupe_key AND r.state = 'running')
      AND (${y}.kind NOT IN (${list(budgeted)})
        OR NOT EXISTS (SELECT 1 FROM tenant_budgets b WHERE b.client_key = ${y}.client_key AND b.paused_until > ?))
      AND (${y}.kind NOT IN (${list(sticky)}) OR ${y}.run_at <= ?
        OR NOT EXISTS (SELECT 1 FROM outbox_affinity a JOIN outbox_instances i ON i.id = a.instance_id
          WHERE a.link_id = ${y}.link_id AND a.instance_id <> ? AND i.seen_at > ?))`;
  // A lane a deliverer asked to hold (its GitLab budget is spent) is passed over whole, rather than each
  // of its rows being claimed and put back.
  const notHeld = `NOT EXISTS (SELECT 1 FROM outbox_holds h WHERE h.link_id = lanes.link_id AND h.held_until > ?)`;
  const big = dialect === "postgres" ? "::bigint" : "";
  // The oldest due rows of one lane. SQLite has no LATERAL, but drives `rowid IN (correlated subquery)`
  // the same way: the subquery runs once per lane and its ids are looked up by primary key.
  const laneRows =
    dialect === "postgres"
      ? `SELECT y.id, y.client_key, y.link_id, y.run_at, NULL::bigint AS n FROM lanes CROSS JOIN LATERAL (
           SELECT y.id, y.client_key, y.link_id, y.run_at FROM outbox y
           WHERE y.link_id = lanes.link_id AND ${eligible("y")} ORDER BY y.run_at, y.id LIMIT ?) y
         WHERE ${notHeld}`
      : `SELECT x.id, x.client_key, x.link_id, x.run_at, NULL AS n FROM lanes JOIN outbox x ON x.id IN (
           SELECT y.id FROM outbox y
           WHERE y.link_id = lanes.link_id AND ${eligible("y")} ORDER BY y.run_at, y.id LIMIT ?)
         WHERE ${notHeld}`;
  return `WITH RECURSIVE lanes(link_id) AS (
        SELECT MIN(link_id) FROM outbox WHERE state = 'pending'
        UNION ALL
        SELECT (SELECT MIN(o.link_id) FROM outbox o WHERE o.state = 'pending' AND o.link_id > lanes.link_id)
        FROM lanes WHERE lanes.link_id IS NOT NULL
      )
      ${laneRows}
      UNION ALL
      SELECT n.id, n.client_key, n.link_id, n.run_at, NULL${big} AS n FROM (
        SELECT y.id, y.client_key, y.link_id, y.run_at FROM outbox y
        WHERE y.link_id IS NULL AND ${eligible("y")} ORDER BY y.run_at, y.id LIMIT ?) n
      UNION ALL
      SELECT NULL${big}, client_key, NULL, NULL${big}, COUNT(*) FROM outbox WHERE state = 'running' GROUP BY client_key`;
}

/**
 * The parameters of `candidatesSql`, in order. A sticky row is another instance's for `headStartMs` after
 * it came due while that instance was seen within `liveMs`; `instanceId` is the claiming instance.
 */
export function candidatesParams(
  now: number,
  perLink: number,
  affinity: { instanceId: string; headStartMs: number; liveMs: number },
): unknown[] {
  const eligible = [now, now, now - affinity.headStartMs, affinity.instanceId, now - affinity.liveMs];
  return [...eligible, perLink, now, ...eligible, perLink];
}

/**
 * Leases the chosen rows (a JSON array of ids on SQLite, an array on PostgreSQL) that are still pending
 * and due. On PostgreSQL SKIP LOCKED and the re-checked conditions pass over a row another instance
 * claimed (or claimed and put back for later) meanwhile, so no row is claimed twice; on SQLite the
 * statement is atomic. Parameters: lease_until, updated_at, ids, now.
 */
export function takeSql(dialect: "sqlite" | "postgres"): string {
  // SQLite's `+state`: otherwise it reads every pending row by the state index and checks each id (8.5 ms
  // with 100,000 waiting, 0.1 ms by id).
  const where =
    dialect === "postgres"
      ? `id IN (SELECT o.id FROM outbox o WHERE o.id = ANY(?::bigint[]) AND o.state = 'pending' AND o.run_at <= ? FOR UPDATE SKIP LOCKED)`
      : `id IN (SELECT value FROM json_each(?)) AND +state = 'pending' AND run_at <= ?`;
  return `UPDATE outbox SET state = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?
     WHERE ${where}
     RETURNING *`;
}

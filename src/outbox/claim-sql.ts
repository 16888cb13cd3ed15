/**
 * The claim statement, built once per outbox. Parameters, in order: lease_until, updated_at, now (five
 * times), then how many rows to take.
 *
 * Fair, not first-in-first-out: a flood of hooks on one link (issue 17: 15,000 in 30 s) used to fill every
 * worker slot with that link's rows while another installation's single status waited behind them. So
 * the claim looks at each link ("lane") that has waiting work and takes only its oldest `perInstallation`
 * due rows, then lets each installation fill at most `perInstallation` slots, counting the rows it already
 * has running (on any instance), and hands out what is left round-robin: every installation's first row,
 * then every second row, and so on.
 *
 * Cost: the lanes are found by a skip scan (one index seek per link with waiting work) and each lane's
 * rows by a bounded index range, so a claim does not grow with the depth of the queue, only with the
 * number of busy links. Window functions need SQLite ≥ 3.25; PostgreSQL forbids FOR UPDATE beside them,
 * hence the ids are picked in a subquery and locked (SKIP LOCKED) one level up.
 *
 * @param budgeted kinds whose rows are not claimed while their installation's Bitbucket budget is paused.
 */
export function claimSql(dialect: "sqlite" | "postgres", budgeted: readonly string[], perInstallation: number): string {
  const k = Math.max(1, Math.floor(perInstallation));
  const kinds = budgeted.map((b) => `'${b.replace(/'/g, "''")}'`).join(", ") || "''";
  const eligible = (y: string) => `${y}.state = 'pending' AND ${y}.run_at <= ?
      AND NOT EXISTS (SELECT 1 FROM outbox r WHERE r.dedupe_key = ${y}.dedupe_key AND r.state = 'running')
      AND (${y}.kind NOT IN (${kinds})
        OR NOT EXISTS (SELECT 1 FROM tenant_budgets b WHERE b.client_key = ${y}.client_key AND b.paused_until > ?))`;
  // A lane a deliverer asked to hold (its GitLab budget is spent) is passed over whole, rather than each
  // of its rows being claimed and put back.
  const notHeld = `NOT EXISTS (SELECT 1 FROM outbox_holds h WHERE h.link_id = lanes.link_id AND h.held_until > ?)`;
  // The oldest k due rows of one lane. SQLite has no LATERAL, but drives `rowid IN (correlated subquery)`
  // the same way: the subquery runs once per lane and its ids are looked up by primary key.
  const laneRows =
    dialect === "postgres"
      ? `SELECT y.id, y.client_key, y.link_id, y.run_at FROM lanes CROSS JOIN LATERAL (
           SELECT y.id, y.client_key, y.link_id, y.run_at FROM outbox y
           WHERE y.link_id = lanes.link_id AND ${eligible("y")} ORDER BY y.run_at, y.id LIMIT ${k}) y
         WHERE ${notHeld}`
      : `SELECT x.id, x.client_key, x.link_id, x.run_at FROM lanes JOIN outbox x ON x.id IN (
           SELECT y.id FROM outbox y
           WHERE y.link_id = lanes.link_id AND ${eligible("y")} ORDER BY y.run_at, y.id LIMIT ${k})
         WHERE ${notHeld}`;
  const pick = `WITH RECURSIVE lanes(link_id) AS (
        SELECT MIN(link_id) FROM outbox WHERE state = 'pending'
        UNION ALL
        SELECT (SELECT MIN(o.link_id) FROM outbox o WHERE o.state = 'pending' AND o.link_id > lanes.link_id)
        FROM lanes WHERE lanes.link_id IS NOT NULL
      ),
      candidates AS (
        ${laneRows}
        UNION ALL
        SELECT n.id, n.client_key, n.link_id, n.run_at FROM (
          SELECT y.id, y.client_key, y.link_id, y.run_at FROM outbox y
          WHERE y.link_id IS NULL AND ${eligible("y")} ORDER BY y.run_at, y.id LIMIT ${k}) n
      ),
      running AS (SELECT client_key, COUNT(*) AS n FROM outbox WHERE state = 'running' GROUP BY client_key),
      laned AS (
        SELECT c.id, c.client_key, c.run_at, ROW_NUMBER() OVER (PARTITION BY c.link_id ORDER BY c.run_at, c.id) AS lane_rank
        FROM candidates c
      ),
      ranked AS (
        SELECT l.id, l.run_at,
          ROW_NUMBER() OVER (PARTITION BY l.client_key ORDER BY l.lane_rank, l.run_at, l.id) + COALESCE(r.n, 0) AS slot
        FROM laned l LEFT JOIN running r ON r.client_key = l.client_key
      )
      SELECT id FROM ranked WHERE slot <= ${k} ORDER BY slot, run_at, id LIMIT ?`;
  // On PostgreSQL the picked rows are locked one level up; `state = 'pending'` there is re-checked on a row
  // another instance claimed meanwhile, so it is skipped rather than claimed twice.
  const ids =
    dialect === "postgres"
      ? `SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.id IN (${pick}) FOR UPDATE SKIP LOCKED`
      : pick;
  return `UPDATE outbox SET state = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?
     WHERE id IN (${ids})
     RETURNING *`;
}

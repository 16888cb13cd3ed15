/** A row the claim could take: its link (null for work of no link), installation and due time. */
export interface Candidate {
  id: number;
  clientKey: string;
  linkId: string | null;
  runAt: number;
}

export interface FairPick {
  /** The rows to take, in the order to start them. */
  ids: number[];
  /**
   * False when a link gave all `perLink` rows it was asked for and a row it did not give could have been
   * picked: the claim reads again with more rows per link.
   */
  exact: boolean;
}

/**
 * Which candidates a claim of `limit` rows takes. Each installation fills at most `perInstallation`
 * slots, counting the rows it already has running (`running`, on any instance); the slots left are
 * handed out round-robin: every installation's first row, then every second row, and so on; an
 * installation's turns go to its links in turn (each link's oldest row first), and rows of the same turn
 * go oldest first.
 *
 * The candidates are each link's oldest `perLink` due rows. A row a link did not give comes after all
 * that its installation gave, so the pick is exact unless it reaches that far: then `exact` is false.
 */
export function fairPick(
  candidates: readonly Candidate[],
  running: ReadonlyMap<string, number>,
  perInstallation: number,
  limit: number,
  perLink = Infinity,
): FairPick {
  const k = Math.max(1, Math.floor(perInstallation));
  const older = (a: Candidate, b: Candidate) => a.runAt - b.runAt || a.id - b.id;
  // Each row's place in its link's line (1 for the link's oldest row).
  const lanes = new Map<string | null, Candidate[]>();
  for (const c of candidates) {
    const lane = lanes.get(c.linkId);
    if (lane) lane.push(c);
    else lanes.set(c.linkId, [c]);
  }
  const laneRank = new Map<Candidate, number>();
  // Installations a link of which may have more rows than it gave. Rows of no link are one line for every
  // installation: if that line was cut short, a row not read could be any installation's first.
  const cutShort = new Set<string>();
  let unread = Infinity; // the first slot a row not read could have taken
  for (const [linkId, lane] of lanes) {
    lane.sort(older).forEach((c, i) => laneRank.set(c, i + 1));
    if (lane.length < perLink) continue;
    if (linkId === null) unread = 1;
    else cutShort.add(lane[0]!.clientKey);
  }
  // Within an installation, its rows by turn: every link's first row, then every second, oldest first.
  const byInstallation = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const mine = byInstallation.get(c.clientKey);
    if (mine) mine.push(c);
    else byInstallation.set(c.clientKey, [c]);
  }
  const slotted: { c: Candidate; slot: number }[] = [];
  for (const [clientKey, mine] of byInstallation) {
    mine.sort((a, b) => laneRank.get(a)! - laneRank.get(b)! || older(a, b));
    const busy = running.get(clientKey) ?? 0;
    mine.forEach((c, i) => {
      const slot = busy + i + 1;
      if (slot <= k) slotted.push({ c, slot });
    });
    if (cutShort.has(clientKey)) unread = Math.min(unread, busy + mine.length + 1);
  }
  slotted.sort((a, b) => a.slot - b.slot || older(a.c, b.c));
  const picked = slotted.slice(0, Math.max(0, limit));
  const last = picked[picked.length - 1]?.slot ?? 0;
  const exact = unread > k || (picked.length >= limit && last < unread);
  return { ids: picked.map((s) => s.c.id), exact };
}

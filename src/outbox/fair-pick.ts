/** A row the claim could take: its link (null for work of no link), installation and due time. */
export interface Candidate {
  id: number;
  clientKey: string;
  linkId: string | null;
  runAt: number;
}

/**
 * Which candidates a claim of `limit` rows takes, in the order to start them. Each installation fills at
 * most `perInstallation` slots, counting the rows it already has running (`running`, on any instance);
 * the slots left are handed out round-robin: every installation's first row, then every second row, and
 * so on; an installation's turns go to its links in turn (each link's oldest row first), and rows of
 * the same turn go oldest first.
 */
export function fairPick(
  candidates: readonly Candidate[],
  running: ReadonlyMap<string, number>,
  perInstallation: number,
  limit: number,
): number[] {
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
  for (const lane of lanes.values()) lane.sort(older).forEach((c, i) => laneRank.set(c, i + 1));
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
  }
  slotted.sort((a, b) => a.slot - b.slot || older(a.c, b.c));
  return slotted.slice(0, Math.max(0, limit)).map((s) => s.c.id);
}

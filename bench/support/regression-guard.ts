import { execFileSync } from "node:child_process";
import type { StoreResult } from "../report";

/** A figure where more is worse, read from one store's results. */
interface Figure {
  name: string;
  read: (r: StoreResult) => number | null | undefined;
}

const FIGURES: Figure[] = [
  { name: "intake repo:push CPU ms/request", read: (r) => r.intake?.bitbucket?.app?.cpuMsPerRequest },
  { name: "intake Pipeline Hook CPU ms/request", read: (r) => r.intake?.gitlab?.app?.cpuMsPerRequest },
  { name: "end to end CPU ms/event", read: (r) => r.e2e?.cpuMsPerEvent },
  { name: "end to end p99 ms", read: (r) => r.e2e?.e2eMs?.p99 },
  { name: "end to end database statements/event", read: (r) => r.e2e?.perEvent?.dbStatements },
  { name: "end to end scavenges/1000 events", read: (r) => r.e2e?.perEvent?.scavengesPer1000 },
  { name: "idle RSS MB", read: (r) => r.idleRssMb },
];

/** A change past this share of the committed figure is flagged (CPU per request varies ~15% run to run here). */
const FLAG_AT = 0.25;

/**
 * The results committed at HEAD (not the file on disk, which the last local run may have overwritten),
 * or null outside a git checkout.
 */
export function committedResults(root: string): Record<string, StoreResult> | null {
  try {
    const text = execFileSync("git", ["show", "HEAD:bench/results.json"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return (JSON.parse(text) as { stores?: Record<string, StoreResult> }).stores ?? null;
  } catch {
    return null;
  }
}

/**
 * Compares this run with the committed figures, store by store, and says what moved. The issue that
 * asked for this: a GitLab hook's intake cost doubled between two runs and nobody noticed for a week.
 * Returns the lines to print and whether any figure got worse by more than FLAG_AT.
 */
export function compareWithCommitted(
  now: Record<string, StoreResult>,
  committed: Record<string, StoreResult> | null,
): { lines: string[]; regressed: boolean } {
  if (!committed) return { lines: ["(no committed bench/results.json to compare with)"], regressed: false };
  const lines = ["change against the committed bench/results.json (more is worse for every figure):"];
  let regressed = false;
  for (const [store, result] of Object.entries(now)) {
    const before = committed[store];
    if (!before) continue;
    for (const f of FIGURES) {
      const a = f.read(before);
      const b = f.read(result);
      if (typeof a !== "number" || typeof b !== "number" || !Number.isFinite(a) || !Number.isFinite(b) || a <= 0) continue;
      const change = (b - a) / a;
      const flag = change > FLAG_AT ? "  ⚠ worse than committed: bisect before merging" : "";
      if (flag) regressed = true;
      lines.push(`  ${store} ${f.name}: ${a} → ${b} (${change >= 0 ? "+" : ""}${Math.round(change * 100)}%)${flag}`);
    }
  }
  return { lines, regressed };
}

import { readFileSync, writeFileSync } from "node:fs";

/** Resident memory of a process from /proc, in MB: now (VmRSS) and its peak since start or last reset (VmHWM). */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5), so a phase can read its own peak. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds the whole machine spent busy (all cores, everything but idle and iowait). */
export function machineBusySeconds(): number {
  const [, ...f] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const v = f.map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - v[3]! - v[4]!) / TICKS_PER_SECOND;
}

/**
 * Measures how many cores each process used between `begin()` and `end()`, and how many went to
 * processes that are not ours ("others"): on a shared machine that is the noise under every number.
 */
export class CpuMeter {
  private readonly start = new Map<string, number>();
  private machine0 = 0;
  private t0 = 0;

  constructor(private readonly pids: Record<string, number>) {}

  begin(): this {
    this.t0 = performance.now();
    this.machine0 = machineBusySeconds();
    for (const [name, pid] of Object.entries(this.pids)) this.start.set(name, cpuSecondsOf(pid));
    return this;
  }

  /** Cores used per process (1.0 = one core busy the whole time), plus `others`. */
  end(): Record<string, number> {
    const seconds = (performance.now() - this.t0) / 1000;
    const out: Record<string, number> = {};
    let ours = 0;
    for (const [name, pid] of Object.entries(this.pids)) {
      const used = cpuSecondsOf(pid) - this.start.get(name)!;
      ours += used;
      out[name] = Math.round((used / seconds) * 100) / 100;
    }
    out.others = Math.max(0, Math.round(((machineBusySeconds() - this.machine0 - ours) / seconds) * 100) / 100);
    return out;
  }
}

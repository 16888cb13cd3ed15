import { round, secondHalf, slope } from "../support/stats";
import { loadRun, type Env, type LoadRun } from "./end-to-end";

export interface SoakResult {
  run: LoadRun;
  /** RSS in MB, one sample every ~10 s (seconds, MB). */
  rss: [number, number][];
  startRssMb: number;
  endRssMb: number;
  /** Least-squares slope of RSS over the second half of the soak. */
  slopeMbPerMin: number;
  grows: boolean;
  /** V8 heap in use (from the app's /metrics): first and last reading, and its slope over the second half. */
  heapUsed: { startMb: number; endMb: number; slopeMbPerMin: number };
}

/** A threshold under the noise of GC's sawtooth over a minute, yet ~30 MB an hour: worth knowing. */
const GROWTH_MB_PER_MIN = 0.5;

/** The end-to-end load held for a long time, watching whether the app's RSS keeps climbing. */
export async function soak(env: Env, rate: number, seconds: number): Promise<SoakResult> {
  const { samples, ...run } = await loadRun(env, rate, seconds, 30_000);
  const points = samples.map((s) => ({ x: s.x, y: s.rssMb }));
  const slopeMbPerMin = round(slope(secondHalf(points)) * 60, 2);
  const every = Math.max(1, Math.round(samples.length / 60));
  const heap = samples.filter((s) => Number.isFinite(s.heapUsedMb)).map((s) => ({ x: s.x, y: s.heapUsedMb }));
  return {
    run,
    rss: samples.filter((_, i) => i % every === 0).map((s) => [Math.round(s.x), round(s.rssMb)]),
    startRssMb: round(samples[0]?.rssMb ?? NaN),
    endRssMb: round(samples[samples.length - 1]?.rssMb ?? NaN),
    slopeMbPerMin,
    grows: slopeMbPerMin > GROWTH_MB_PER_MIN,
    heapUsed: {
      startMb: round(heap[0]?.y ?? NaN),
      endMb: round(heap[heap.length - 1]?.y ?? NaN),
      slopeMbPerMin: round(slope(secondHalf(heap)) * 60, 2),
    },
  };
}

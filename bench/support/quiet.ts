import { sleep } from "./free-port";
import { CpuMeter } from "./proc";

const THRESHOLD_CORES = Number(process.env.BENCH_QUIET_CORES ?? 0.25);
const MAX_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_S ?? 60) * 1000;

/**
 * This machine is shared: other sessions' tests can take most of its two cores. Before a measurement,
 * wait (a bounded time) until processes that are not ours use less than a quarter of a core; either way
 * the `others` figure of each measurement says how much they took while it ran.
 */
export async function waitForQuiet(pids: Record<string, number>, label: string): Promise<void> {
  const deadline = Date.now() + MAX_WAIT_MS;
  let warned = false;
  for (;;) {
    const meter = new CpuMeter({ ...pids, driver: process.pid }).begin();
    await sleep(1_000);
    const others = meter.end().others ?? 0;
    if (others < THRESHOLD_CORES) return;
    if (Date.now() > deadline) {
      process.stderr.write(`    (${label}: other processes still use ${others} cores; measuring anyway)\n`);
      return;
    }
    if (!warned) process.stderr.write(`    (${label}: waiting for other processes to quieten: ${others} cores)\n`);
    warned = true;
  }
}

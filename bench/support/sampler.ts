import type { DepthProbe } from "./depth-probe";
import { memoryOf } from "./proc";

export interface Sample {
  /** Seconds since the sampler started. */
  x: number;
  rssMb: number;
  outboxWaiting: number;
  /** V8 heap in use, read from the app's /metrics every fifth sample (NaN in between). */
  heapUsedMb: number;
}

/** Samples the app's RSS and outbox depth every `everyMs` while a phase runs. */
export class Sampler {
  readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = performance.now();
  private busy = false;

  constructor(pid: number, probe: DepthProbe, everyMs: number, heap: () => Promise<number>) {
    let n = 0;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      const x = (performance.now() - this.t0) / 1000;
      const { rssMb } = memoryOf(pid);
      Promise.all([probe.depth().catch(() => ({ waiting: NaN })), n++ % 5 === 0 ? heap() : NaN])
        .then(([{ waiting }, heapUsedMb]) => this.samples.push({ x, rssMb, outboxWaiting: waiting, heapUsedMb }))
        .finally(() => (this.busy = false));
    }, everyMs);
  }

  stop(): Sample[] {
    clearInterval(this.timer);
    return this.samples;
  }
}

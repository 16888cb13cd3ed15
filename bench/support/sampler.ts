import type { DepthProbe } from "./depth-probe";
import { memoryOf } from "./proc";

export interface Sample {
  /** Seconds since the sampler started. */
  x: number;
  rssMb: number;
  outboxWaiting: number;
}

/** Samples the app's RSS and outbox depth every `everyMs` while a phase runs. */
export class Sampler {
  readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = performance.now();
  private busy = false;

  constructor(pid: number, probe: DepthProbe, everyMs: number) {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      const x = (performance.now() - this.t0) / 1000;
      const { rssMb } = memoryOf(pid);
      probe
        .depth()
        .then(({ waiting }) => this.samples.push({ x, rssMb, outboxWaiting: waiting }))
        .catch(() => this.samples.push({ x, rssMb, outboxWaiting: NaN }))
        .finally(() => (this.busy = false));
    }, everyMs);
  }

  stop(): Sample[] {
    clearInterval(this.timer);
    return this.samples;
  }
}

import type { SimState } from "./sim-state";
import { iso } from "./time";
import type { MirrorOutcome, SimProject } from "./types";

// Gitlab::Mirror::MAX_RETRY: past this many consecutive failed updates the mirror "hard fails" and
// the trigger answers 403 "Mirroring for the project is on pause".
const MAX_RETRY = 14;

/**
 * Pull-mirror updates as StartPullMirroringService and ProjectImportState run them. A trigger
 * always answers 200, but:
 * - within `pull_mirror_interval_seconds` of the end of the last update (`last_update_at`) it only
 *   reschedules the next update for last_update_at + interval (the every-minute scheduler then runs
 *   it): recorded "deferred";
 * - while an update is scheduled or running it does nothing: recorded "ignored_running";
 * - otherwise an update starts at once: recorded "started".
 * GitLab's own 30-minute background schedule is not simulated.
 */
export class PullMirrors {
  private readonly triggers = new Map<number, { at: number; outcome: MirrorOutcome }[]>();
  private readonly running = new Set<Promise<void>>();
  private readonly scheduled = new Map<number, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly state: SimState,
    private readonly intervalMs: number,
    private readonly onUpdate: (project: SimProject) => void | Promise<void>,
  ) {}

  trigger(project: SimProject): MirrorOutcome {
    const outcome = this.decide(project);
    const list = this.triggers.get(project.id) ?? [];
    list.push({ at: this.state.now(), outcome });
    this.triggers.set(project.id, list);
    return outcome;
  }

  history(project: SimProject): { at: number; outcome: MirrorOutcome }[] {
    return [...(this.triggers.get(project.id) ?? [])];
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.scheduled.values()) clearTimeout(t);
    await Promise.allSettled([...this.running]);
  }

  private decide(project: SimProject): MirrorOutcome {
    const s = project.mirrorState;
    const now = this.state.now();
    const updateNow = !s.lastSuccessfulUpdateAt || !s.lastUpdateAt || Date.parse(s.lastUpdateAt) < now - this.intervalMs;
    if (!updateNow) {
      this.schedule(project, Date.parse(s.lastUpdateAt!) + this.intervalMs);
      return "deferred";
    }
    if (this.isUpdating(project)) return "ignored_running";
    this.start(project);
    return "started";
  }

  private isUpdating(project: SimProject): boolean {
    return ["scheduled", "started"].includes(project.mirrorState.updateStatus);
  }

  private schedule(project: SimProject, at: number): void {
    const previous = this.scheduled.get(project.id);
    if (previous) clearTimeout(previous);
    const timer = setTimeout(
      () => {
        this.scheduled.delete(project.id);
        if (this.closed) return;
        if (this.isUpdating(project)) this.schedule(project, this.state.now() + 10);
        else this.start(project);
      },
      Math.max(0, at - this.state.now()),
    );
    timer.unref();
    this.scheduled.set(project.id, timer);
  }

  private start(project: SimProject): void {
    clearTimeout(this.scheduled.get(project.id));
    this.scheduled.delete(project.id);
    const s = project.mirrorState;
    s.updateStatus = "started";
    s.lastUpdateStartedAt = iso(this.state.now());
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.onUpdate(project))
      .then(
        () => this.finish(project, null),
        (err: unknown) => this.finish(project, err instanceof Error ? err.message : String(err)),
      );
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private finish(project: SimProject, error: string | null): void {
    const s = project.mirrorState;
    const settings = this.state.mirror(project);
    const now = iso(this.state.now());
    s.lastUpdateAt = now;
    s.lastError = error;
    if (error === null) {
      s.updateStatus = "finished";
      s.lastSuccessfulUpdateAt = now;
      settings.retryCount = 0;
    } else {
      s.updateStatus = "failed";
      settings.retryCount += 1;
      if (settings.retryCount > MAX_RETRY) project.mirrorPaused = true;
    }
  }
}

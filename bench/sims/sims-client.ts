import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { stopChild, track } from "../support/children";
import type {
  Command,
  NoisyOptions,
  NoisyResult,
  PushSyncRepoSpec,
  PushSyncSeriesOptions,
  PushSyncSeriesResult,
  ReportsOptions,
  ReportsRunResult,
  Reply,
  RunOptions,
  RunResult,
  SetupInfo,
  SimCounters,
} from "./protocol";

/** The driver's handle on the simulators' process: typed calls over IPC. */
export class SimsClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.result);
      else w.reject(new Error(`sims: ${reply.error}`));
    });
    child.once("exit", (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the simulators' process exited (${code})`));
      this.waiting.clear();
    });
  }

  static async start(root: string): Promise<SimsClient> {
    // Runs from TypeScript through tsx: the simulators read their fixtures from test/, which dist/ lacks.
    const child = track(
      fork(path.join(__dirname, "sims-process.ts"), [], { cwd: root, execArgv: ["--import", "tsx"], stdio: "inherit" }),
    );
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`the simulators' process exited at start (${code})`)));
    });
    return new SimsClient(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Installs the app and links `links` repositories, each to its own GitLab project and token. */
  setup(appUrl: string, links: number, hookUrls: string[] = []): Promise<SetupInfo> {
    return this.call({ cmd: "setup", appUrl, links, hookUrls }) as Promise<SetupInfo>;
  }

  run(opts: RunOptions): Promise<RunResult> {
    return this.call({ cmd: "run", opts }) as Promise<RunResult>;
  }

  /** Installs two more workspaces of one link each and floods one while the other runs steadily. */
  noisy(appUrl: string, opts: NoisyOptions): Promise<NoisyResult> {
    return this.call({ cmd: "noisy", appUrl, opts }) as Promise<NoisyResult>;
  }

  /** One pipeline with a large test report on the first link: hook → all its reports on Bitbucket. */
  reports(opts: ReportsOptions): Promise<ReportsRunResult> {
    return this.call({ cmd: "reports", opts }) as Promise<ReportsRunResult>;
  }

  /** Installs the app into a workspace of its own and links each repository with push sync. */
  pushSyncSetup(appUrl: string, repos: PushSyncRepoSpec[]): Promise<void> {
    return this.call({ cmd: "pushSyncSetup", appUrl, repos }) as Promise<void>;
  }

  /** The first sync of a push-sync repository (if not made yet), then single-commit pushes, timed. */
  pushSyncSeries(opts: PushSyncSeriesOptions): Promise<PushSyncSeriesResult> {
    return this.call({ cmd: "pushSyncSeries", opts }) as Promise<PushSyncSeriesResult>;
  }

  counters(): Promise<SimCounters> {
    return this.call({ cmd: "counters" }) as Promise<SimCounters>;
  }

  /** Asks the simulators to close; kills their process if that takes more than a few seconds. */
  async stop(): Promise<void> {
    const asked = this.call({ cmd: "stop" }).catch(() => undefined);
    await Promise.race([asked, new Promise((r) => setTimeout(r, 5_000))]);
    await stopChild(this.child, 2_000);
  }

  private call(command: Command): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, command });
    });
  }
}

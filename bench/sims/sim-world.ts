import type { Server } from "node:http";
import { BitbucketSim } from "../../sim/bitbucket-sim";
import { GitLabSim, type SimPipeline, type SimProject } from "../../sim/gitlab-sim";
import type { SimCounters } from "./protocol";

// Matched loosely: express, the first listener, has already stripped the /2.0 mount from req.url.
const STATUS_POST = /\/repositories\/[^/]+\/[^/]+\/commit\/([0-9a-f]{40})\/statuses\/build$/;

// The simulators keep every call, status and pipeline for tests to inspect. A benchmark sends tens of
// thousands, so the world below watches their HTTP servers from outside (a second 'request' listener)
// and trims what they keep. Both reach into fields the simulators keep private, on purpose and only here.
type BitbucketInside = { server: Server; state: { statuses: Map<string, unknown> } };
type GitLabInside = { server: Server; state: { pipelines: Map<number, { jobs: { id: number }[] }>; jobs: Map<number, unknown> } };

/** The two simulators of one bench run, instrumented for counting and trimmed as they go. */
export class SimWorld {
  readonly counters: SimCounters = { statusPosts: 0, gitlabCalls: 0 };
  /**
   * Each called with the commit and the time the Bitbucket simulator answered a status POST with 2xx
   * (a set: the noisy-neighbour phase runs two paced runs side by side).
   */
  readonly onStatus = new Set<(sha: string, at: number) => void>();
  private readonly trimmer: NodeJS.Timeout;
  /** Pipelines of the paced runs by commit, forgotten once their status is posted (even after a run ended). */
  private readonly pipelines = new Map<string, number>();

  private constructor(
    readonly bitbucket: BitbucketSim,
    readonly gitlab: GitLabSim,
  ) {
    const bb = bitbucket as unknown as BitbucketInside;
    bb.server.on("request", (req, res) => {
      const sha = req.method === "POST" ? STATUS_POST.exec(req.url ?? "")?.[1] : undefined;
      if (!sha) return;
      res.once("finish", () => {
        if (res.statusCode >= 300) return;
        this.counters.statusPosts++;
        const at = performance.now();
        const pipelineId = this.pipelines.get(sha);
        if (pipelineId !== undefined) {
          this.pipelines.delete(sha);
          this.forgetPipeline(pipelineId);
        }
        for (const listener of this.onStatus) listener(sha, at);
      });
    });
    (gitlab as unknown as GitLabInside).server.on("request", () => this.counters.gitlabCalls++);
    this.trimmer = setInterval(() => this.trim(), 1000);
  }

  static async start(): Promise<SimWorld> {
    const bitbucket = await BitbucketSim.start();
    // GitLab's default mirror interval: repeated triggers are deferred, as on gitlab.com.
    const gitlab = await GitLabSim.start({ pullMirrorIntervalSeconds: 300 });
    return new SimWorld(bitbucket, gitlab);
  }

  /** Creates a finished pipeline on a new commit; it is forgotten once its status has been posted. */
  finishedPipeline(project: SimProject, sha: string): SimPipeline {
    const pipeline = this.gitlab.createPipeline(project, { sha, ref: "main" });
    this.gitlab.setPipelineStatus(pipeline, "success");
    this.pipelines.set(sha, pipeline.id);
    return pipeline;
  }

  private forgetPipeline(id: number): void {
    const state = (this.gitlab as unknown as GitLabInside).state;
    for (const job of state.pipelines.get(id)?.jobs ?? []) state.jobs.delete(job.id);
    state.pipelines.delete(id);
  }

  async close(): Promise<void> {
    clearInterval(this.trimmer);
    await Promise.all([this.bitbucket.close(), this.gitlab.close()]);
  }

  private trim(): void {
    this.bitbucket.apiCalls.length = 0;
    this.gitlab.apiCalls.length = 0;
    this.gitlab.deliveries.length = 0;
    (this.bitbucket as unknown as BitbucketInside).state.statuses.clear();
  }
}

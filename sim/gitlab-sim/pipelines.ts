import type { SimState } from "./sim-state";
import { iso } from "./time";
import type { GitLabStatus, SimJob, SimPipeline, SimProject, SimUser } from "./types";

export interface PipelineSpec {
  sha: string;
  ref: string;
  tag?: boolean;
  user?: SimUser;
  jobs?: { name: string; stage?: string; allowFailure?: boolean; when?: "on_success" | "manual" }[];
  source?: string;
  beforeSha?: string;
}

const ZERO_SHA = "0".repeat(40);
// Ci::Pipeline's state machine stamps started_at only when leaving a queued state...
const QUEUED: GitLabStatus[] = ["created", "waiting_for_resource", "preparing", "pending"];
// ...and finished_at (with the duration) only on these three; `skipped` leaves it empty.
const FINISHING: GitLabStatus[] = ["success", "failed", "canceled"];

export function createPipeline(state: SimState, project: SimProject, spec: PipelineSpec): SimPipeline {
  const user = spec.user ?? state.users.values().next().value;
  if (!user) throw new Error("createPipeline needs a user: add one first or pass opts.user");
  const now = iso(state.now());
  const pipeline: SimPipeline = {
    id: state.nextId("pipeline"),
    iid: state.nextIid(project.id),
    projectId: project.id,
    sha: spec.sha,
    beforeSha: spec.beforeSha ?? ZERO_SHA,
    ref: spec.ref,
    tag: spec.tag ?? false,
    status: "created",
    // Push and mirror-update pipelines both have source "push".
    source: spec.source ?? "push",
    // Null unless the CI config sets `workflow:name`.
    name: null,
    createdAt: now,
    updatedAt: now,
    duration: null,
    jobs: [],
    user,
  };
  state.pipelines.set(pipeline.id, pipeline);
  for (const spec_ of spec.jobs ?? [{ name: "test" }]) {
    const when = spec_.when ?? "on_success";
    const job: SimJob = {
      id: state.nextId("job"),
      name: spec_.name,
      stage: spec_.stage ?? "test",
      status: when === "manual" ? "manual" : "created",
      // A manual job without rules is allowed to fail by default.
      allowFailure: spec_.allowFailure ?? when === "manual",
      when,
      pipelineId: pipeline.id,
      createdAt: now,
      retried: false,
    };
    pipeline.jobs.push(job);
    state.jobs.set(job.id, job);
  }
  return pipeline;
}

export function setPipelineStatus(state: SimState, pipeline: SimPipeline, status: GitLabStatus): void {
  // GitLab's transitions are `any - [x] => x`: setting the current status is not a transition.
  if (pipeline.status === status) return;
  const now = state.now();
  if (status === "running" && (QUEUED.includes(pipeline.status) || !pipeline.startedAt)) pipeline.startedAt = iso(now);
  if (FINISHING.includes(status)) pipeline.finishedAt = iso(now);
  if (FINISHING.includes(status) || status === "manual") pipeline.duration = pipelineDuration(pipeline, now);
  pipeline.status = status;
  pipeline.updatedAt = iso(now);
}

export function setJobStatus(state: SimState, job: SimJob, status: GitLabStatus): void {
  if (job.status === status) return;
  const now = iso(state.now());
  if (status === "pending") job.queuedAt = now;
  if (status === "running") {
    job.queuedAt ??= job.createdAt;
    job.startedAt = now;
  }
  if (FINISHING.includes(status)) job.finishedAt = now;
  job.failureReason = status === "failed" ? (job.failureReason ?? "script_failure") : undefined;
  job.status = status;
  state.pipelineOf(job).updatedAt = now;
}

/**
 * Ci::RetryJobService: the old job is kept but marked retried, a clone with a new id is queued,
 * skipped jobs of later stages are reset, and the pipeline's status is recomputed from its latest
 * jobs, which re-opens a finished pipeline.
 */
export function retryJob(state: SimState, job: SimJob): SimJob {
  if (job.retried) throw new Error(`job ${job.id} was already retried`);
  if (!["success", "failed", "canceled"].includes(job.status)) throw new Error(`job ${job.id} (${job.status}) is not retryable`);
  const pipeline = state.pipelineOf(job);
  const now = iso(state.now());
  job.retried = true;
  const clone: SimJob = {
    ...job,
    id: state.nextId("job"),
    status: "pending",
    createdAt: now,
    queuedAt: now,
    startedAt: undefined,
    finishedAt: undefined,
    failureReason: undefined,
    retried: false,
  };
  pipeline.jobs.push(clone);
  state.jobs.set(clone.id, clone);
  const stages = stageNames(pipeline);
  for (const later of latestJobs(pipeline)) {
    if (later.status === "skipped" && stages.indexOf(later.stage) > stages.indexOf(job.stage)) later.status = "created";
  }
  setPipelineStatus(state, pipeline, compositeStatus(latestJobs(pipeline)));
  return clone;
}

export function latestJobs(pipeline: SimPipeline): SimJob[] {
  return pipeline.jobs.filter((j) => !j.retried);
}

export function stageNames(pipeline: SimPipeline): string[] {
  return [...new Set(latestJobs(pipeline).map((j) => j.stage))];
}

/** Gitlab::Ci::Status::Composite, the rule that derives a pipeline's status from its jobs. */
export function compositeStatus(jobs: SimJob[]): GitLabStatus {
  const statuses = jobs.map((j) =>
    j.allowFailure && ["failed", "canceled", "manual", "scheduled"].includes(j.status)
      ? j.status === "failed"
        ? "success_with_warnings"
        : "ignored"
      : j.status,
  );
  const only = (...ok: string[]) => statuses.every((s) => ok.includes(s));
  const any = (...ok: string[]) => statuses.some((s) => ok.includes(s));
  const soft = ["success_with_warnings", "ignored"];
  if (statuses.length === 0) return "created";
  if (only("skipped", "ignored")) return "skipped";
  if (only("success", "skipped", ...soft)) return "success";
  if (only("created", ...soft)) return "created";
  if (only("preparing", ...soft)) return "preparing";
  if (only("canceled", "success", "skipped", ...soft)) return "canceled";
  if (only("pending", "created", "skipped", ...soft)) return "pending";
  if (any("running", "pending")) return "running";
  if (any("waiting_for_resource")) return "waiting_for_resource";
  if (any("waiting_for_callback")) return "waiting_for_callback";
  if (any("manual")) return "manual";
  if (any("scheduled")) return "scheduled";
  if (any("preparing")) return "preparing";
  if (any("created")) return "running";
  if (any("canceling")) return "canceling";
  return "failed";
}

/** Gitlab::Ci::Pipeline::Duration: the union of the jobs' running periods, in whole seconds. */
function pipelineDuration(pipeline: SimPipeline, now: number): number | null {
  const periods = latestJobs(pipeline)
    .filter((j) => j.startedAt)
    .map((j) => [Date.parse(j.startedAt!), j.finishedAt ? Date.parse(j.finishedAt) : now] as const)
    .sort((a, b) => a[0] - b[0]);
  if (periods.length === 0) {
    return pipeline.startedAt ? Math.round((now - Date.parse(pipeline.startedAt)) / 1000) : null;
  }
  let total = 0;
  let [start, end] = periods[0]!;
  for (const [s, e] of periods.slice(1)) {
    if (s > end) {
      total += end - start;
      [start, end] = [s, e];
    } else end = Math.max(end, e);
  }
  return Math.round((total + end - start) / 1000);
}

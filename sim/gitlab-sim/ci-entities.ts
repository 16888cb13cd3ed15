// REST API representations (GitLab's Grape entities) of pipelines and jobs.
import { detailedStatus } from "./detailed-status";
import { userBasic } from "./project-entities";
import type { SimState } from "./sim-state";
import { iso, seconds } from "./time";
import type { SimJob, SimPipeline } from "./types";

export function pipelineBasic(state: SimState, pl: SimPipeline) {
  const p = state.projectOf(pl);
  return {
    id: pl.id,
    iid: pl.iid,
    project_id: pl.projectId,
    sha: pl.sha,
    ref: pl.ref,
    status: pl.status,
    source: pl.source,
    created_at: pl.createdAt,
    updated_at: pl.updatedAt,
    web_url: `${p.webUrl}/-/pipelines/${pl.id}`,
    name: pl.name,
  };
}

export function pipeline(state: SimState, pl: SimPipeline) {
  const queued = seconds(pl.createdAt, pl.startedAt);
  return {
    ...pipelineBasic(state, pl),
    before_sha: pl.beforeSha,
    tag: pl.tag,
    yaml_errors: null,
    user: userBasic(state, pl.user),
    started_at: pl.startedAt ?? null,
    finished_at: pl.finishedAt ?? null,
    committed_at: null,
    duration: pl.duration,
    // GitLab reports no queued duration when the pipeline started within the same second.
    queued_duration: queued ? Math.floor(queued) || null : null,
    coverage: pl.coverage ?? null,
    detailed_status: detailedStatus(pl, state.projectOf(pl).pathWithNamespace),
  };
}

export function job(state: SimState, j: SimJob) {
  const pl = state.pipelineOf(j);
  const p = state.projectOf(pl);
  const end = j.finishedAt ?? iso(state.now());
  return {
    id: j.id,
    status: j.status,
    stage: j.stage,
    name: j.name,
    ref: pl.ref,
    tag: pl.tag,
    coverage: null,
    allow_failure: j.allowFailure,
    created_at: j.createdAt,
    started_at: j.startedAt ?? null,
    finished_at: j.finishedAt ?? null,
    erased_at: null,
    duration: seconds(j.startedAt, end),
    queued_duration: seconds(j.queuedAt, j.startedAt ?? iso(state.now())),
    user: userBasic(state, pl.user),
    commit: commit(pl),
    pipeline: pipelineBasic(state, pl),
    ...(j.status === "failed" && { failure_reason: j.failureReason ?? "script_failure" }),
    web_url: `${p.webUrl}/-/jobs/${j.id}`,
    project: { ci_job_token_scope_enabled: false },
    artifacts: [
      ...(j.artifacts ?? []).map((a) => ({
        file_type: a.fileType,
        size: JSON.stringify(a.content).length,
        filename: a.filename,
        file_format: "raw",
      })),
      ...(hasJunit(pl, j) ? [{ file_type: "junit", size: 512, filename: "junit.xml.gz", file_format: "gzip" }] : []),
    ],
    runner: j.startedAt ? runner() : null,
    runner_manager: null,
    artifacts_expire_at: null,
    archived: false,
    tag_list: [],
  };
}

function commit(pl: SimPipeline) {
  return {
    id: pl.sha,
    short_id: pl.sha.slice(0, 8),
    created_at: pl.createdAt,
    parent_ids: [],
    title: commitTitle(pl),
    message: commitMessage(pl),
    author_name: pl.user.name,
    author_email: `${pl.user.username}@example.com`,
    authored_date: pl.createdAt,
    committer_name: pl.user.name,
    committer_email: `${pl.user.username}@example.com`,
    committed_date: pl.createdAt,
  };
}

export const commitTitle = (pl: SimPipeline) => `Commit ${pl.sha.slice(0, 8)}`;
export const commitMessage = (pl: SimPipeline) => `${commitTitle(pl)}\n`;

function runner() {
  return {
    id: 1,
    description: "gitlab-sim-runner",
    ip_address: null,
    active: true,
    paused: false,
    is_shared: true,
    runner_type: "instance_type",
    name: "gitlab-runner",
    online: true,
    status: "online",
  };
}

/**
 * GitLab builds a pipeline's test report from its jobs' `junit` artifacts, and names each suite after its
 * job. A job whose name a suite of the pipeline's report bears lists one; when no suite names a job (a
 * hand-written report), the pipeline's first job does.
 */
function hasJunit(pl: SimPipeline, j: SimJob): boolean {
  const report = pl.testReport as { test_suites?: Array<{ name?: unknown }> } | undefined;
  if (!report) return false;
  const suites = new Set((report.test_suites ?? []).map((s) => s.name));
  const jobs = pl.jobs;
  if (jobs.some((x) => suites.has(x.name))) return suites.has(j.name);
  return jobs[0]?.id === j.id;
}

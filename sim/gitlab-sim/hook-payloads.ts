// Pipeline Hook and Job Hook bodies (Gitlab::DataBuilder::Pipeline and ::Build), shaped like
// sim/fixtures/gitlab/*.json and built from the simulator's current state, as GitLab builds them
// when its background job runs rather than when the status changed.
import { detailedStatusLabel } from "./detailed-status";
import { commitMessage, commitTitle } from "./ci-entities";
import { latestJobs, stageNames } from "./pipelines";
import type { SimState } from "./sim-state";
import { iso, isoSeconds, seconds, stamp, type TimestampStyle } from "./time";
import type { SimJob, SimPipeline, SimProject, SimUser } from "./types";

/**
 * "mixed" (default): the pipeline's own times in ISO-8601, its builds' in the old
 * "2016-08-12 15:23:28 UTC" form, as GitLab 17 sends them. "legacy": the old form throughout.
 * "iso": ISO-8601 throughout, as the newest GitLab does.
 */
export type PayloadTimestamps = "mixed" | "legacy" | "iso";

export interface PayloadOptions {
  timestamps?: PayloadTimestamps;
}

export function pipelineHookPayload(state: SimState, pl: SimPipeline, opts: PayloadOptions = {}) {
  const style = opts.timestamps ?? "mixed";
  const own: TimestampStyle = style === "legacy" ? "legacy" : "iso";
  const builds: TimestampStyle = style === "iso" ? "iso" : "legacy";
  const project = state.projectOf(pl);
  const queued = seconds(pl.createdAt, pl.startedAt);
  return {
    object_kind: "pipeline",
    object_attributes: {
      id: pl.id,
      iid: pl.iid,
      name: pl.name,
      ref: pl.ref,
      tag: pl.tag,
      sha: pl.sha,
      before_sha: pl.beforeSha,
      source: pl.source,
      status: pl.status,
      detailed_status: detailedStatusLabel(pl),
      stages: stageNames(pl),
      created_at: stamp(pl.createdAt, own),
      finished_at: stamp(pl.finishedAt, own),
      duration: pl.duration,
      queued_duration: queued ? Math.floor(queued) || null : null,
      variables: [],
      url: `${project.webUrl}/-/pipelines/${pl.id}`,
    },
    merge_request: null,
    user: hookUser(pl.user),
    project: hookProject(state, project),
    commit: {
      id: pl.sha,
      message: commitMessage(pl),
      title: commitTitle(pl),
      timestamp: isoSeconds(pl.createdAt),
      url: `${project.webUrl}/-/commit/${pl.sha}`,
      author: { name: pl.user.name, email: `${pl.user.username}@example.com` },
    },
    // Only the latest try of each job, like GitLab's `latest_builds`.
    builds: latestJobs(pl).map((j) => buildAttrs(state, pl, j, builds)),
  };
}

export function jobHookPayload(state: SimState, job: SimJob, opts: PayloadOptions = {}) {
  const style: TimestampStyle = opts.timestamps === "legacy" ? "legacy" : "iso";
  const pl = state.pipelineOf(job);
  const project = state.projectOf(pl);
  const now = iso(state.now());
  return {
    object_kind: "build",
    ref: pl.ref,
    tag: pl.tag,
    before_sha: pl.beforeSha,
    sha: pl.sha,
    retries_count: pl.jobs.filter((j) => j.retried && j.name === job.name).length,
    build_id: job.id,
    build_name: job.name,
    build_stage: job.stage,
    build_status: job.status,
    build_created_at: stamp(job.createdAt, style),
    build_started_at: stamp(job.startedAt, style),
    build_finished_at: stamp(job.finishedAt, style),
    build_created_at_iso: isoSeconds(job.createdAt),
    build_started_at_iso: isoSeconds(job.startedAt),
    build_finished_at_iso: isoSeconds(job.finishedAt),
    build_duration: seconds(job.startedAt, job.finishedAt ?? now),
    build_queued_duration: seconds(job.queuedAt, job.startedAt ?? now),
    build_allow_failure: job.allowFailure,
    // The column's default is "unknown_failure", so jobs that did not fail carry it too.
    build_failure_reason: job.failureReason ?? "unknown_failure",
    pipeline_id: pl.id,
    runner: job.startedAt ? hookRunner() : null,
    project_id: project.id,
    project_name: project.pathWithNamespace.split("/").join(" / "),
    user: hookUser(pl.user),
    commit: {
      // Not a sha: GitLab puts the pipeline id here.
      id: pl.id,
      name: pl.name,
      sha: pl.sha,
      message: commitMessage(pl),
      author_name: pl.user.name,
      author_email: `${pl.user.username}@example.com`,
      author_url: `${state.baseUrl}/${pl.user.username}`,
      status: pl.status,
      duration: pl.duration,
      started_at: stamp(pl.startedAt, style),
      finished_at: stamp(pl.finishedAt, style),
      started_at_iso: isoSeconds(pl.startedAt),
      finished_at_iso: isoSeconds(pl.finishedAt),
    },
    repository: {
      name: projectName(project),
      url: sshUrl(state, project),
      description: null,
      homepage: project.webUrl,
      git_ssh_url: sshUrl(state, project),
      git_http_url: `${project.webUrl}.git`,
      visibility_level: 0,
    },
    project: hookProject(state, project),
    environment: null,
  };
}

function buildAttrs(state: SimState, pl: SimPipeline, j: SimJob, style: TimestampStyle) {
  const now = iso(state.now());
  return {
    id: j.id,
    stage: j.stage,
    name: j.name,
    status: j.status,
    created_at: stamp(j.createdAt, style),
    started_at: stamp(j.startedAt, style),
    finished_at: stamp(j.finishedAt, style),
    duration: seconds(j.startedAt, j.finishedAt ?? now),
    queued_duration: seconds(j.queuedAt, j.startedAt ?? now),
    failure_reason: j.status === "failed" ? (j.failureReason ?? "script_failure") : null,
    when: j.when,
    manual: j.when === "manual",
    allow_failure: j.allowFailure,
    user: hookUser(pl.user),
    runner: j.startedAt ? hookRunner() : null,
    artifacts_file: { filename: null, size: null },
    environment: null,
  };
}

/** User#hook_attrs: without a public email GitLab sends "[REDACTED]". */
function hookUser(user: SimUser) {
  return { id: user.id, name: user.name, username: user.username, avatar_url: null, email: "[REDACTED]" };
}

function hookProject(state: SimState, project: SimProject) {
  const segments = project.pathWithNamespace.split("/");
  return {
    id: project.id,
    name: projectName(project),
    description: null,
    web_url: project.webUrl,
    avatar_url: null,
    git_ssh_url: sshUrl(state, project),
    git_http_url: `${project.webUrl}.git`,
    namespace: segments[segments.length - 2],
    visibility_level: 0,
    path_with_namespace: project.pathWithNamespace,
    default_branch: project.defaultBranch,
    ci_config_path: null,
  };
}

function hookRunner() {
  return {
    id: 1,
    description: "gitlab-sim-runner",
    runner_type: "instance_type",
    active: true,
    is_shared: true,
    tags: ["docker"],
  };
}

const projectName = (project: SimProject) => project.pathWithNamespace.split("/").pop()!;
const sshUrl = (state: SimState, project: SimProject) =>
  `git@${new URL(state.baseUrl).hostname}:${project.pathWithNamespace}.git`;

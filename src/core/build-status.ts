import { humanDuration } from "./human-duration";
import { bitbucketState, type BitbucketState } from "./status-state";
import { statusKey } from "./status-key";

/** A Bitbucket commit build status, as we post it. */
export interface BuildStatus {
  key: string;
  state: BitbucketState;
  name: string;
  url: string;
  description: string;
  refname?: string;
}

/** The facts about a GitLab pipeline that a status is made from (read from GitLab's pipeline API). */
export interface PipelineFacts {
  id: number;
  projectId: number;
  projectPath: string;
  ref: string;
  tag: boolean;
  status: string;
  webUrl: string;
  durationSeconds: number | null;
  /** Stage of the first failed job that was not allowed to fail, when known. */
  failedStage?: string | null;
}

export interface JobFacts {
  name: string;
  stage: string;
  status: string;
  allowFailure: boolean;
  webUrl: string;
  durationSeconds: number | null;
}

const MAX_NAME = 255;

export function pipelineStatus(p: PipelineFacts): BuildStatus {
  return {
    key: statusKey({ projectId: p.projectId, ref: p.ref }),
    state: bitbucketState(p.status),
    name: clip(`GitLab CI: ${p.projectPath} #${p.id}`, MAX_NAME),
    url: p.webUrl,
    description: describe(p.status, p.durationSeconds, p.failedStage ?? null, false),
    ...refname(p),
  };
}

/**
 * A status for one job, or null for a manual job that never ran: it would sit INPROGRESS forever
 * although nothing is waiting on it.
 */
export function jobStatus(p: PipelineFacts, job: JobFacts): BuildStatus | null {
  if (job.status === "manual" || (job.status === "skipped" && job.durationSeconds == null)) return null;
  return {
    key: statusKey({ projectId: p.projectId, ref: p.ref, job: job.name }),
    state: bitbucketState(job.status, job.allowFailure),
    name: clip(`GitLab CI: ${p.projectPath} › ${job.name}`, MAX_NAME),
    url: job.webUrl,
    description: describe(job.status, job.durationSeconds, null, job.allowFailure),
    ...refname(p),
  };
}

// The status shows on a pull request only when refname is the source branch's plain name; a tag
// pipeline has no branch to show on.
const refname = (p: PipelineFacts) => (p.tag ? {} : { refname: p.ref });

function describe(status: string, duration: number | null, failedStage: string | null, allowFailure: boolean): string {
  const took = duration != null && duration >= 1 ? ` in ${humanDuration(duration)}` : "";
  switch (status) {
    case "success":
      return `passed${took}`;
    case "failed":
      if (allowFailure) return `failed${took} (allowed to fail)`;
      return failedStage ? `failed at stage ${failedStage}` : `failed${took}`;
    case "canceled":
    case "canceling":
      return "canceled";
    case "skipped":
      return "skipped";
    case "manual":
      return "waiting for a manual action";
    case "scheduled":
      return "scheduled";
    case "running":
      return "running";
    default:
      return status.replace(/_/g, " ");
  }
}

const clip = (s: string, max: number) => (s.length <= max ? s : s.slice(0, max - 1) + "…");

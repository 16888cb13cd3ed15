import { jobStatus, pipelineStatus, type BuildStatus, type JobFacts, type PipelineFacts } from "./build-status";
import { pullRequestJobStatusKey, pullRequestStatusKey } from "./pull-request-ref";

const MAX_NAME = 255;
const MAX_DESCRIPTION = 255;
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export interface PullRequestTarget {
  prId: number;
  sourceBranch: string;
  destinationBranch: string;
}

/**
 * The status of a pull request's merge-result pipeline, as it goes on the pull request's source head:
 * keyed per pull request, shown on the pull request (refname = the source branch), and saying it tested
 * the merge with the destination, not the branch alone.
 */
export function pullRequestPipelineStatus(p: PipelineFacts, pr: PullRequestTarget): BuildStatus {
  const plain = pipelineStatus({ ...p, tag: false });
  return {
    ...plain,
    key: pullRequestStatusKey(p.projectId, pr.prId),
    name: clip(`GitLab CI: ${p.projectPath} #${p.id} (merge result with ${pr.destinationBranch})`, MAX_NAME),
    description: clip(`Merge result with ${pr.destinationBranch}: ${plain.description}`, MAX_DESCRIPTION),
    refname: pr.sourceBranch,
  };
}

/**
 * The status of one job of a pull request's merge-result pipeline (links whose status mode is "jobs" or
 * "both"): on the source head like the pipeline's, under a key of that pull request and job, named so
 * it reads apart from the branch pipeline's job of the same name. Null for a job that shows nothing
 * (manual, or skipped without running), as for a branch's jobs.
 */
export function pullRequestJobStatus(p: PipelineFacts, job: JobFacts, pr: PullRequestTarget): BuildStatus | null {
  const plain = jobStatus({ ...p, tag: false }, job);
  if (!plain) return null;
  return {
    ...plain,
    key: pullRequestJobStatusKey(p.projectId, pr.prId, job.name),
    name: clip(`GitLab CI: ${p.projectPath} › ${job.name} (merge result with ${pr.destinationBranch})`, MAX_NAME),
    refname: pr.sourceBranch,
  };
}

/** A STOPPED status under the pull request's key, saying in plain words why no pipeline ran. */
export function pullRequestStoppedStatus(
  projectId: number,
  projectWebUrl: string,
  pr: PullRequestTarget,
  why: string,
): BuildStatus {
  return {
    key: pullRequestStatusKey(projectId, pr.prId),
    state: "STOPPED",
    name: clip(`GitLab CI: merge result with ${pr.destinationBranch}`, MAX_NAME),
    url: projectWebUrl,
    description: clip(why, MAX_DESCRIPTION),
    refname: pr.sourceBranch,
  };
}

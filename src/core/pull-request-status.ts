import { pipelineStatus, type BuildStatus, type PipelineFacts } from "./build-status";
import { pullRequestStatusKey } from "./pull-request-ref";

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

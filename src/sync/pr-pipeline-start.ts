import type { PullRequest } from "../db/pull-requests";
import { gitlabFailure, gitlabMessage, statusOf, type GitLabApi } from "../gitlab/gitlab-api";

/** The pull request's context for its merge-result pipeline, as CI variables. */
export function pipelineVariables(pr: PullRequest, sourceSha: string, destinationSha: string): Record<string, string> {
  return {
    BITBUCKET_PR_ID: String(pr.prId),
    BITBUCKET_PR_SOURCE_BRANCH: pr.sourceBranch,
    BITBUCKET_PR_DESTINATION_BRANCH: pr.destinationBranch,
    BITBUCKET_PR_SOURCE_COMMIT: sourceSha,
    BITBUCKET_PR_DESTINATION_COMMIT: destinationSha,
  };
}

/** Said on the settings page when GitLab refused the variables and the pipeline ran without them. */
export const VARIABLES_REFUSED =
  "GitLab refused the pipeline variables (the project lets only Maintainers, or no one, set them): the pipeline ran without BITBUCKET_PR_*";

/**
 * Creates the merge-result pipeline with the pull request's variables. Since GitLab 17.7 (gitlab.com) and
 * 18.0 (everywhere) new projects refuse pipeline variables by default, with a 400 "Insufficient
 * permissions to set pipeline variables": then the pipeline runs without them, and the page says so.
 */
export async function startMergePipeline(
  api: GitLabApi,
  projectId: number,
  ref: string,
  variables: Record<string, string>,
): Promise<{ pipelineId: number; note: string | null }> {
  try {
    return { pipelineId: (await api.createPipeline(projectId, ref, variables)).id, note: null };
  } catch (e) {
    if (!(statusOf(e) === 400 || statusOf(e) === 403) || !/variables/i.test(gitlabMessage(e)))
      throw gitlabFailure(e, `Creating the pipeline for ${ref}`);
  }
  try {
    return { pipelineId: (await api.createPipeline(projectId, ref)).id, note: VARIABLES_REFUSED };
  } catch (e) {
    throw gitlabFailure(e, `Creating the pipeline for ${ref}`);
  }
}

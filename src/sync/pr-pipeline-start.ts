import type { PipelineContext } from "../core/pipeline-context";
import { gitlabFailure, gitlabMessage, statusOf, type GitLabApi } from "../gitlab/gitlab-api";

/** Said on the settings page when GitLab refused the variables and the pipeline ran without them. */
export const VARIABLES_REFUSED =
  "GitLab refused the pipeline variables (the project lets only Maintainers, or no one, set them): the pipeline ran without BITBUCKET_PR_*";

/**
 * Creates the merge-result pipeline with the pull request's context (inputs and variables). Since GitLab
 * 17.7 (gitlab.com) and 18.0 (everywhere) new projects refuse pipeline variables by default, with a 400
 * "Insufficient permissions to set pipeline variables": then the pipeline runs with its inputs alone, and
 * the page says so. `note` (what reading the CI file had to say) is kept beside that.
 */
export async function startMergePipeline(
  api: GitLabApi,
  projectId: number,
  ref: string,
  context: PipelineContext,
  note: string | null = null,
): Promise<{ pipelineId: number; note: string | null }> {
  try {
    return { pipelineId: (await api.createPipeline(projectId, ref, context)).id, note };
  } catch (e) {
    const refused = (statusOf(e) === 400 || statusOf(e) === 403) && /variables/i.test(gitlabMessage(e));
    if (!refused || Object.keys(context.variables).length === 0) throw gitlabFailure(e, `Creating the pipeline for ${ref}`);
  }
  try {
    const pipeline = await api.createPipeline(projectId, ref, { inputs: context.inputs });
    return { pipelineId: pipeline.id, note: [note, VARIABLES_REFUSED].filter(Boolean).join("; ") };
  } catch (e) {
    throw gitlabFailure(e, `Creating the pipeline for ${ref}`);
  }
}

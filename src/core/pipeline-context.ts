import type { DeclaredInputs } from "./ci-header-inputs";

/** What a merge-result pipeline is told about its pull request. */
export interface PullRequestContext {
  prId: number;
  sourceBranch: string;
  destinationBranch: string;
  sourceSha: string;
  destinationSha: string;
}

/** The context as GitLab takes it: `inputs` (a hash) and variables. */
export interface PipelineContext {
  inputs: Record<string, string | number>;
  variables: Record<string, string>;
}

/**
 * Each fact goes as the input `bitbucket_pr_…` when the CI file's header declares it, else as the variable
 * `BITBUCKET_PR_…`. When all five are declared no variable is sent at all, so a project that refuses
 * pipeline variables (GitLab's default for new projects since 18.0) gets its whole context. The id is a
 * number where the input is declared `type: number`; everything else is a string.
 */
export function pipelineContext(pr: PullRequestContext, declared: DeclaredInputs): PipelineContext {
  const facts: [string, string][] = [
    ["BITBUCKET_PR_ID", String(pr.prId)],
    ["BITBUCKET_PR_SOURCE_BRANCH", pr.sourceBranch],
    ["BITBUCKET_PR_DESTINATION_BRANCH", pr.destinationBranch],
    ["BITBUCKET_PR_SOURCE_COMMIT", pr.sourceSha],
    ["BITBUCKET_PR_DESTINATION_COMMIT", pr.destinationSha],
  ];
  const context: PipelineContext = { inputs: {}, variables: {} };
  for (const [variable, value] of facts) {
    const input = variable.toLowerCase();
    const type = declared.get(input);
    if (type === undefined) context.variables[variable] = value;
    else context.inputs[input] = input === "bitbucket_pr_id" && type === "number" ? pr.prId : value;
  }
  return context;
}

import type { SimRepo } from "../bitbucket-sim";
import type { GitLabSim, SimProject } from "../gitlab-sim";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes the GitLab simulator behave like a mirrored "CI/CD for external repository" project: when the
 * mirror really updates, a pipeline runs for every branch head of the Bitbucket repository that moved.
 */
export function runPipelinesOnMirrorUpdate(gitlab: GitLabSim, repo: SimRepo, opts: { stepMs?: number; fail?: boolean } = {}) {
  const built = new Map<string, string>();
  gitlab.onMirrorUpdate = (project: SimProject) => {
    for (const [branch, sha] of repo.branches) {
      if (built.get(branch) === sha) continue;
      built.set(branch, sha);
      void runPipeline(gitlab, project, sha, branch, opts);
    }
  };
}

/** A two-job pipeline going through GitLab's states, with a hook delivered at each step. */
export async function runPipeline(
  gitlab: GitLabSim,
  project: SimProject,
  sha: string,
  ref: string,
  opts: { stepMs?: number; fail?: boolean } = {},
): Promise<void> {
  const pipeline = gitlab.createPipeline(project, {
    sha,
    ref,
    jobs: [
      { name: "build", stage: "build" },
      { name: "test", stage: "test" },
    ],
  });
  const hook = () => gitlab.deliver(project, "Pipeline Hook", gitlab.pipelineHookPayload(pipeline));
  const job = (i: number) => gitlab.deliver(project, "Job Hook", gitlab.jobHookPayload(pipeline.jobs[i]!));
  gitlab.setPipelineStatus(pipeline, "pending");
  await hook();
  for (let i = 0; i < pipeline.jobs.length; i++) {
    gitlab.setJobStatus(pipeline.jobs[i]!, "running");
    gitlab.setPipelineStatus(pipeline, "running");
    await job(i);
    await hook();
    await sleep(opts.stepMs ?? 150);
    const last = i === pipeline.jobs.length - 1;
    gitlab.setJobStatus(pipeline.jobs[i]!, last && opts.fail ? "failed" : "success");
    await job(i);
  }
  gitlab.setPipelineStatus(pipeline, opts.fail ? "failed" : "success");
  await hook();
}

import { z } from "zod";

const sha = z.string().regex(/^[0-9a-f]{40}$/i);

/** The parts of a Pipeline Hook we rely on; the rest of GitLab's payload passes through unread. */
export const pipelineHook = z
  .object({
    object_kind: z.literal("pipeline"),
    object_attributes: z
      .object({
        id: z.number().int(),
        ref: z.string().min(1).max(255),
        sha,
        status: z.string().max(40),
        tag: z.boolean().optional(),
      })
      .passthrough(),
    project: z.object({ id: z.number().int() }).passthrough(),
  })
  .passthrough();

/** The parts of a Job Hook we rely on. Note `commit.id` there is the pipeline id, not a sha. */
export const jobHook = z
  .object({
    object_kind: z.literal("build"),
    build_id: z.number().int(),
    pipeline_id: z.number().int(),
    ref: z.string().min(1).max(255),
    sha,
    build_status: z.string().max(40),
    project_id: z.number().int(),
  })
  .passthrough();

/** What an accepted GitLab event means for us: which commit's statuses to bring up to date. */
export interface StatusTrigger {
  projectId: number;
  sha: string;
  ref: string;
  pipelineId: number;
}

export const fromPipelineHook = (p: z.infer<typeof pipelineHook>): StatusTrigger => ({
  projectId: p.project.id,
  sha: p.object_attributes.sha,
  ref: p.object_attributes.ref,
  pipelineId: p.object_attributes.id,
});

export const fromJobHook = (j: z.infer<typeof jobHook>): StatusTrigger => ({
  projectId: j.project_id,
  sha: j.sha,
  ref: j.ref,
  pipelineId: j.pipeline_id,
});

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { jobStatus, pipelineStatus } from "../../src/core/build-status";
import type { GitLabStatus, SimPipeline, SimProject } from "../../sim/gitlab-sim";
import { drained, Stack } from "../support/stack";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const STATUSES: GitLabStatus[] = ["created", "pending", "running", "success", "failed", "canceled", "skipped", "manual"];

/** One thing GitLab does, or one hook delivery, in a generated history. */
type Step =
  | { kind: "new-pipeline" }
  | { kind: "pipeline-status"; pipeline: number; status: GitLabStatus }
  | { kind: "job-status"; pipeline: number; job: number; status: GitLabStatus }
  | { kind: "retry-job"; pipeline: number; job: number }
  | { kind: "deliver"; pick: number; resend: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: "new-pipeline" as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("pipeline-status" as const),
      pipeline: fc.nat(),
      status: fc.constantFrom(...STATUSES),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("job-status" as const),
      pipeline: fc.nat(),
      job: fc.nat(),
      status: fc.constantFrom(...STATUSES),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("retry-job" as const), pipeline: fc.nat(), job: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("deliver" as const), pick: fc.nat(), resend: fc.boolean() }) },
);

const history = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 14 }),
  // The order in which hooks never delivered during the history arrive at the end.
  tailOrder: fc.array(fc.nat(), { maxLength: 20 }),
});

describe("status ordering, as a property of the whole app", function () {
  this.timeout(600_000);
  let stack: Stack;
  let project: SimProject;

  before(async () => {
    stack = await Stack.start({ env: { OUTBOX_CONCURRENCY: "8" } });
    ({ project } = await stack.linkedRepository({ statusMode: "both" }));
  });
  after(async () => stack.stop());

  it(`after any history of ${RUNS} generated ones (shuffled, repeated, reopened), Bitbucket shows GitLab's final state of the newest pipeline`, async () => {
    await fc.assert(
      fc.asyncProperty(history, async ({ steps, tailOrder }) => {
        const sha = randomBytes(20).toString("hex");
        const ref = "main";
        const pipelines: SimPipeline[] = [
          stack.gitlab.createPipeline(project, {
            sha,
            ref,
            jobs: [
              { name: "build", stage: "build" },
              { name: "test", stage: "test" },
            ],
          }),
        ];
        type Hook = { kind: "Pipeline Hook" | "Job Hook"; payload: unknown; key: string; delivered: boolean };
        const hooks: Hook[] = [];
        const snapshot = (p: SimPipeline, jobIndex?: number) => {
          hooks.push({
            kind: "Pipeline Hook",
            payload: stack.gitlab.pipelineHookPayload(p),
            key: randomBytes(8).toString("hex"),
            delivered: false,
          });
          const job = jobIndex === undefined ? undefined : liveJobs(p)[jobIndex];
          if (job)
            hooks.push({
              kind: "Job Hook",
              payload: stack.gitlab.jobHookPayload(job),
              key: randomBytes(8).toString("hex"),
              delivered: false,
            });
        };
        const deliver = async (h: Hook, resend: boolean) => {
          const [res] = await stack.gitlab.deliver(
            project,
            h.kind,
            h.payload,
            resend && h.delivered ? { idempotencyKey: h.key } : {},
          );
          assert.equal(res?.status, 200);
          h.delivered = true;
        };
        snapshot(pipelines[0]!);

        for (const s of steps) {
          if (s.kind === "new-pipeline") {
            pipelines.push(
              stack.gitlab.createPipeline(project, {
                sha,
                ref,
                jobs: [
                  { name: "build", stage: "build" },
                  { name: "test", stage: "test" },
                ],
              }),
            );
            snapshot(pipelines.at(-1)!);
          } else if (s.kind === "pipeline-status") {
            const p = pipelines[s.pipeline % pipelines.length]!;
            stack.gitlab.setPipelineStatus(p, s.status);
            snapshot(p);
          } else if (s.kind === "job-status") {
            const p = pipelines[s.pipeline % pipelines.length]!;
            const i = s.job % liveJobs(p).length;
            stack.gitlab.setJobStatus(liveJobs(p)[i]!, s.status);
            snapshot(p, i);
          } else if (s.kind === "retry-job") {
            const p = pipelines[s.pipeline % pipelines.length]!;
            const i = s.job % liveJobs(p).length;
            if (["success", "failed", "canceled"].includes(liveJobs(p)[i]!.status)) {
              stack.gitlab.retryJob(liveJobs(p)[i]!);
              snapshot(p, i);
            }
          } else {
            await deliver(hooks[s.pick % hooks.length]!, s.resend);
          }
        }
        // GitLab delivers every hook at least once; the rest arrive now, in a generated order.
        const rest = hooks.filter((h) => !h.delivered);
        for (const n of tailOrder) if (rest.length > 1) rest.push(...rest.splice(n % rest.length, 1));
        for (const h of rest) await deliver(h, false);

        await drained(stack);
        const newest = pipelines.reduce((a, b) => (b.id > a.id ? b : a));
        const shown = new Map(stack.bitbucket.statuses({ sha }).map((st) => [st.key, st]));
        for (const expected of expectedStatuses(project, newest)) {
          const actual = shown.get(expected.key);
          assert.ok(actual, `no status ${expected.key}`);
          assert.equal(actual.state, expected.state, `${expected.key}: GitLab says ${expected.gitlab}`);
          assert.equal(actual.name, expected.name, `${expected.key} is not from the newest pipeline`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

const liveJobs = (p: SimPipeline) => p.jobs.filter((j) => !j.retried);

/** What Bitbucket must show for the newest pipeline: the mapping itself is tested in unit tests. */
function expectedStatuses(project: SimProject, p: SimPipeline) {
  const facts = {
    id: p.id,
    projectId: project.id,
    projectPath: project.pathWithNamespace,
    ref: p.ref,
    tag: p.tag,
    status: p.status,
    webUrl: "",
    durationSeconds: null,
  };
  const out = [{ ...pipelineStatus(facts), gitlab: p.status }];
  for (const j of liveJobs(p)) {
    const s = jobStatus(facts, {
      name: j.name,
      stage: j.stage,
      status: j.status,
      allowFailure: j.allowFailure,
      webUrl: "",
      durationSeconds: j.startedAt ? 1 : null,
    });
    if (s) out.push({ ...s, gitlab: j.status });
  }
  return out;
}

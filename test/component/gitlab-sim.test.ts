import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { GitbeakerRequestError, Gitlab } from "@gitbeaker/rest";
import express from "express";
import { GitLabSim, type SimProject, type SimUser } from "../../sim/gitlab-sim";
import { eventually } from "../support/stack";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(path.join(__dirname, "../../sim/fixtures/gitlab", name), "utf8"));

const SHA = "bcbb5ec396a2c0f828686f14fac9b80b780504f2";

async function rejection(promise: Promise<unknown>): Promise<GitbeakerRequestError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GitbeakerRequestError, `expected a GitbeakerRequestError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

/** Every key path on one side and not the other; arrays compare each element with the sample's first. */
function keyDifferences(expected: unknown, actual: unknown, at = "$"): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  if (!isObject(expected) || !isObject(actual)) return [];
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return [`${at} is not an array on both sides`];
    if (expected.length === 0) return [];
    return actual.flatMap((item, i) => keyDifferences(expected[0], item, `${at}[${i}]`));
  }
  return [
    ...Object.keys(expected)
      .filter((k) => !(k in actual))
      .map((k) => `missing ${at}.${k}`),
    ...Object.keys(actual)
      .filter((k) => !(k in expected))
      .map((k) => `extra ${at}.${k}`),
    ...Object.keys(expected)
      .filter((k) => k in actual)
      .flatMap((k) => keyDifferences(expected[k], actual[k], `${at}.${k}`)),
  ];
}

/** A webhook receiver on port 0 that answers with `status` and remembers what it got. */
async function startReceiver(status: () => number) {
  const received: { headers: Record<string, string | string[] | undefined>; body: unknown }[] = [];
  const app = express();
  app.use(express.json());
  app.post("/hook", (req, res) => {
    received.push({ headers: req.headers, body: req.body });
    res.status(status()).send("ok");
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("GitLab simulator", () => {
  let sim: GitLabSim;
  let maintainer: SimUser;
  let token: string;
  let api: InstanceType<typeof Gitlab>;
  let project: SimProject;

  beforeEach(async () => {
    sim = await GitLabSim.start({ pullMirrorIntervalSeconds: 300 });
    maintainer = sim.addUser("maria", "Maria Maintainer");
    token = sim.addToken(maintainer);
    api = new Gitlab({ host: sim.url, token });
    project = sim.addProject("acme/platform/app", { mirror: true });
    sim.addMember(project, maintainer, 40);
  });

  afterEach(async () => {
    await sim.close();
  });

  describe("authentication and access", () => {
    it("a request with an unknown token fails with 401 Unauthorized through gitbeaker", async () => {
      const bad = new Gitlab({ host: sim.url, token: "glpat-not-a-real-token" });
      const err = await rejection(bad.Users.showCurrentUser());
      assert.equal(err.cause?.response.status, 401);
      assert.equal(err.cause?.description, "401 Unauthorized");
    });

    it("an expired or revoked token fails with 401 invalid_token", async () => {
      for (const opts of [{ expired: true }, { revoked: true }]) {
        const client = new Gitlab({ host: sim.url, token: sim.addToken(maintainer, opts) });
        const err = await rejection(client.Projects.show(project.id));
        assert.equal(err.cause?.response.status, 401);
        assert.equal(err.cause?.description, "invalid_token");
      }
    });

    it("a token without the api or read_api scope fails with 403 insufficient_scope", async () => {
      const client = new Gitlab({ host: sim.url, token: sim.addToken(maintainer, { scopes: ["read_repository"] }) });
      const err = await rejection(client.Projects.show(project.id));
      assert.equal(err.cause?.response.status, 403);
      assert.equal(err.cause?.description, "insufficient_scope");
    });

    it("a read_api token may read but not write", async () => {
      const client = new Gitlab({ host: sim.url, token: sim.addToken(maintainer, { scopes: ["read_api"] }) });
      await client.Projects.show(project.id);
      const err = await rejection(client.ProjectHooks.add(project.id, "https://example.com/hook"));
      assert.equal(err.cause?.response.status, 403);
    });

    it("the current user is the token's owner, and an OAuth-style Bearer header works too", async () => {
      const viaBearer = new Gitlab({ host: sim.url, oauthToken: token });
      for (const client of [api, viaBearer]) {
        const user = await client.Users.showCurrentUser();
        assert.equal(user.id, maintainer.id);
        assert.equal(user.username, "maria");
      }
    });

    it("a project is found by id or by full path and shows the member's access level", async () => {
      const byId = await api.Projects.show(project.id);
      const byPath = await api.Projects.show("acme/platform/app");
      assert.equal(byPath.id, project.id);
      assert.equal(byId.path_with_namespace, "acme/platform/app");
      assert.equal((byId.permissions as any).project_access.access_level, 40);
    });

    it("a user who is not a member gets 404 Project Not Found", async () => {
      const stranger = sim.addUser("stan");
      const client = new Gitlab({ host: sim.url, token: sim.addToken(stranger) });
      const err = await rejection(client.Projects.show(project.id));
      assert.equal(err.cause?.response.status, 404);
      assert.equal(err.cause?.description, "404 Project Not Found");
    });

    it("membership is read with inherited members included, and a non-member is 404", async () => {
      const member = await api.ProjectMembers.show(project.id, maintainer.id, { includeInherited: true });
      assert.equal(member.access_level, 40);
      const stranger = sim.addUser("stan");
      const err = await rejection(api.ProjectMembers.show(project.id, stranger.id, { includeInherited: true }));
      assert.equal(err.cause?.response.status, 404);
      assert.match(sim.apiCalls.at(-1)!.path, /\/members\/all\//);
    });

    it("the project picker lists the user's projects filtered by search and minimum role", async () => {
      const other = sim.addProject("acme/website");
      sim.addMember(other, maintainer, 30);
      const all = await api.Projects.all({ membership: true });
      assert.deepEqual(all.map((p) => p.id).sort(), [project.id, other.id].sort());
      const maintained = await api.Projects.all({ membership: true, minAccessLevel: 40 });
      assert.deepEqual(
        maintained.map((p) => p.id),
        [project.id],
      );
      const searched = await api.Projects.all({ membership: true, search: "web" });
      assert.deepEqual(
        searched.map((p) => p.id),
        [other.id],
      );
    });
  });

  describe("hooks", () => {
    it("a Developer may not list or add hooks: 403 Forbidden", async () => {
      const dev = sim.addUser("dev");
      sim.addMember(project, dev, 30);
      const client = new Gitlab({ host: sim.url, token: sim.addToken(dev) });
      for (const call of [client.ProjectHooks.all(project.id), client.ProjectHooks.add(project.id, "https://example.com/h")]) {
        const err = await rejection(call);
        assert.equal(err.cause?.response.status, 403);
        assert.equal(err.cause?.description, "403 Forbidden");
      }
    });

    it("push_events defaults to true when not given, like GitLab", async () => {
      const hook = await api.ProjectHooks.add(project.id, "https://example.com/h", { pipelineEvents: true });
      assert.equal(hook.push_events, true);
      assert.equal(hook.pipeline_events, true);
      assert.equal(hook.job_events, false);
      assert.equal(hook.enable_ssl_verification, true);
    });

    it("a hook is added with its secret, which the API never shows, and removed", async () => {
      const hook = await api.ProjectHooks.add(project.id, "https://example.com/h", {
        token: "s3cret",
        pipelineEvents: true,
        jobEvents: true,
        pushEvents: false,
      });
      assert.equal(hook.push_events, false);
      assert.ok(!("token" in hook));
      assert.equal(sim.hooks(project)[0]!.token, "s3cret");
      assert.ok(!JSON.stringify(await api.ProjectHooks.all(project.id)).includes("s3cret"));
      await api.ProjectHooks.remove(project.id, hook.id);
      assert.deepEqual(sim.hooks(project), []);
    });

    it("changing a hook's URL without resending the token clears the secret", async () => {
      const hook = await api.ProjectHooks.add(project.id, "https://example.com/a", { token: "s3cret" });
      await api.ProjectHooks.edit(project.id, hook.id, "https://example.com/a", { jobEvents: true });
      assert.equal(sim.hooks(project)[0]!.token, "s3cret");
      await api.ProjectHooks.edit(project.id, hook.id, "https://example.com/b", { jobEvents: true });
      assert.equal(sim.hooks(project)[0]!.token, undefined);
    });
  });

  describe("pull mirroring", () => {
    const updated = (s: GitLabSim) =>
      new Promise<SimProject>((resolve) => {
        s.onMirrorUpdate = resolve;
      });

    it("a trigger starts an update, which the mirror details then report as finished", async () => {
      const update = updated(sim);
      await api.Projects.createPullMirror(project.id, project.importUrl!, true);
      assert.equal((await update).id, project.id);
      const details = await api.Projects.showPullMirror(project.id);
      assert.equal(details.update_status, "finished");
      assert.ok(details.last_successful_update_at);
      assert.deepEqual(
        sim.mirrorTriggers(project).map((t) => t.outcome),
        ["started"],
      );
    });

    it("a second trigger within the interval is deferred, yet answers 200", async () => {
      const update = updated(sim);
      await api.Projects.createPullMirror(project.id, project.importUrl!, true);
      await update;
      await new Promise((r) => setImmediate(r));
      const startedAt = project.mirrorState.lastUpdateStartedAt;
      await api.Projects.createPullMirror(project.id, project.importUrl!, true);
      assert.equal(sim.apiCalls.at(-1)!.status, 200);
      assert.deepEqual(
        sim.mirrorTriggers(project).map((t) => t.outcome),
        ["started", "deferred"],
      );
      // An update starts (and says so) while the trigger is answered: none did.
      assert.equal(project.mirrorState.updateStatus, "finished");
      assert.equal(project.mirrorState.lastUpdateStartedAt, startedAt);
    });

    it("a deferred update runs once the interval since the last update has passed", async () => {
      const quick = await GitLabSim.start({ pullMirrorIntervalSeconds: 0.2 });
      try {
        const user = quick.addUser("maria");
        const p = quick.addProject("acme/app", { mirror: true });
        quick.addMember(p, user, 40);
        const client = new Gitlab({ host: quick.url, token: quick.addToken(user) });
        let first = updated(quick);
        await client.Projects.createPullMirror(p.id, "", true);
        await first;
        await new Promise((r) => setImmediate(r));
        first = updated(quick);
        await client.Projects.createPullMirror(p.id, "", true);
        assert.equal(quick.mirrorTriggers(p).at(-1)!.outcome, "deferred");
        await first;
      } finally {
        await quick.close();
      }
    });

    it("a trigger while an update is running is ignored", async () => {
      let release!: () => void;
      sim.onMirrorUpdate = () => new Promise<void>((resolve) => (release = resolve));
      await api.Projects.createPullMirror(project.id, "", true);
      await api.Projects.createPullMirror(project.id, "", true);
      assert.deepEqual(
        sim.mirrorTriggers(project).map((t) => t.outcome),
        ["started", "ignored_running"],
      );
      await new Promise((r) => setImmediate(r));
      release();
    });

    it("a failing update is reported through last_error", async () => {
      sim.onMirrorUpdate = () => {
        throw new Error("Authentication failed for 'https://bitbucket.org/workspace/app.git/'");
      };
      await api.Projects.createPullMirror(project.id, "", true);
      const details = await eventually(async () => {
        const d = await api.Projects.showPullMirror(project.id);
        return d.update_status === "started" ? null : d;
      });
      assert.equal(details.update_status, "failed");
      assert.match(String(details.last_error), /Authentication failed/);
    });

    it("triggering a project that is not mirrored, or not on Premium, is 400 The project is not mirrored", async () => {
      const plain = sim.addProject("acme/plain");
      const free = sim.addProject("acme/free", { mirror: true, premium: false });
      for (const p of [plain, free]) {
        sim.addMember(p, maintainer, 40);
        const err = await rejection(api.Projects.createPullMirror(p.id, "", true));
        assert.equal(err.cause?.response.status, 400);
        assert.equal(err.cause?.description, "The project is not mirrored");
      }
    });

    it("triggering a paused mirror is 403 Mirroring for the project is on pause", async () => {
      project.mirrorPaused = true;
      const err = await rejection(api.Projects.createPullMirror(project.id, "", true));
      assert.equal(err.cause?.response.status, 403);
      assert.equal(err.cause?.description, "Mirroring for the project is on pause");
    });

    it("a Developer may not trigger the mirror: 403 Forbidden", async () => {
      const dev = sim.addUser("dev");
      sim.addMember(project, dev, 30);
      const client = new Gitlab({ host: sim.url, token: sim.addToken(dev) });
      const err = await rejection(client.Projects.createPullMirror(project.id, "", true));
      assert.equal(err.cause?.response.status, 403);
    });

    it("configuring the mirror stores its credentials and the details mask them", async () => {
      await api.requester.put(`projects/${project.id}/mirror/pull`, {
        body: {
          enabled: true,
          url: "https://bitbucket.org/workspace/app.git",
          authUser: "x-token-auth",
          authPassword: "bb-access-token",
          mirrorTriggerBuilds: true,
        },
      });
      const stored = new URL(project.importUrl!);
      assert.equal(stored.username, "x-token-auth");
      assert.equal(stored.password, "bb-access-token");
      const details = await api.Projects.showPullMirror(project.id);
      assert.equal(details.url, "https://*****:*****@bitbucket.org/workspace/app.git");
      assert.equal(details.mirror_trigger_builds, true);
    });
  });

  describe("pipelines and jobs", () => {
    it("pipelines are listed newest first, filtered by sha and ref, across pages", async () => {
      for (let i = 0; i < 25; i++) sim.createPipeline(project, { sha: i === 3 ? SHA : "f".repeat(40), ref: "main" });
      const all = await api.Pipelines.all(project.id, { perPage: 10 });
      assert.equal(all.length, 25);
      assert.ok(all[0]!.id > all[1]!.id);
      const bySha = await api.Pipelines.all(project.id, { sha: SHA });
      assert.equal(bySha.length, 1);
      assert.deepEqual(await api.Pipelines.all(project.id, { ref: "other" }), []);
    });

    it("a pipeline shows GitLab's full shape with timestamps and duration", async () => {
      const pipeline = sim.createPipeline(project, { sha: SHA, ref: "main", user: maintainer });
      sim.setPipelineStatus(pipeline, "pending");
      sim.setJobStatus(pipeline.jobs[0]!, "running");
      sim.setPipelineStatus(pipeline, "running");
      sim.setJobStatus(pipeline.jobs[0]!, "success");
      sim.setPipelineStatus(pipeline, "success");
      const shown = await api.Pipelines.show(project.id, pipeline.id);
      for (const key of [
        "id",
        "iid",
        "project_id",
        "sha",
        "ref",
        "status",
        "source",
        "tag",
        "before_sha",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
        "committed_at",
        "duration",
        "queued_duration",
        "coverage",
        "web_url",
        "detailed_status",
        "user",
      ]) {
        assert.ok(key in shown, `missing ${key}`);
      }
      assert.equal(shown.status, "success");
      assert.equal((shown.detailed_status as any).label, "passed");
      assert.ok(shown.started_at && shown.finished_at);
      assert.equal(shown.web_url, `${project.webUrl}/-/pipelines/${pipeline.id}`);
    });

    it("a Guest may not read pipelines: 403 Forbidden", async () => {
      const guest = sim.addUser("guest");
      sim.addMember(project, guest, 10);
      const client = new Gitlab({ host: sim.url, token: sim.addToken(guest) });
      const err = await rejection(client.Pipelines.all(project.id));
      assert.equal(err.cause?.response.status, 403);
    });

    it("retrying a job hides the old one from the jobs list and reopens the finished pipeline", async () => {
      const pipeline = sim.createPipeline(project, { sha: SHA, ref: "main", jobs: [{ name: "build" }, { name: "test" }] });
      for (const job of pipeline.jobs) sim.setJobStatus(job, "success");
      sim.setJobStatus(pipeline.jobs[1]!, "failed");
      sim.setPipelineStatus(pipeline, "failed");
      const retried = sim.retryJob(pipeline.jobs[1]!);
      assert.notEqual(retried.id, pipeline.jobs[1]!.id);
      assert.equal(pipeline.status, "running");
      const jobs = await api.Jobs.all(project.id, { pipelineId: pipeline.id });
      assert.deepEqual(
        jobs.map((j) => j.id),
        [retried.id, pipeline.jobs[0]!.id],
      );
      const withRetried = await api.Jobs.all(project.id, { pipelineId: pipeline.id, includeRetried: true });
      assert.equal(withRetried.length, 3);
      assert.equal((await api.Jobs.show(project.id, retried.id)).status, "pending");
    });
  });

  describe("hook payloads", () => {
    it("the pipeline hook payload has exactly the keys of GitLab's documented sample", () => {
      const pipeline = sim.createPipeline(project, { sha: SHA, ref: "main", jobs: [{ name: "build", stage: "build" }] });
      sim.setJobStatus(pipeline.jobs[0]!, "running");
      sim.setPipelineStatus(pipeline, "running");
      const { source_pipeline: _upstreamOnly, ...sample } = fixture("pipeline-hook.json") as Record<string, unknown>;
      assert.deepEqual(keyDifferences(sample, sim.pipelineHookPayload(pipeline)), []);
    });

    it("the pipeline's own timestamps are ISO-8601 by default and the old UTC form on request", () => {
      const pipeline = sim.createPipeline(project, { sha: SHA, ref: "main" });
      const iso = sim.pipelineHookPayload(pipeline);
      assert.match(iso.object_attributes.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(iso.builds[0].created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      const legacy = sim.pipelineHookPayload(pipeline, { timestamps: "legacy" });
      assert.match(legacy.object_attributes.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    });

    it("the job hook payload has the sample's keys and its commit.id is the pipeline id", () => {
      const pipeline = sim.createPipeline(project, { sha: SHA, ref: "main" });
      const job = pipeline.jobs[0]!;
      sim.setJobStatus(job, "running");
      const payload = sim.jobHookPayload(job);
      const { source_pipeline: _upstreamOnly, ...sample } = fixture("job-hook.json") as Record<string, unknown>;
      assert.deepEqual(keyDifferences(sample, payload), []);
      assert.equal(payload.commit.id, pipeline.id);
      assert.notEqual(payload.commit.id, job.id);
      assert.equal(payload.build_id, job.id);
      assert.equal(payload.sha, SHA);
    });
  });

  describe("hook delivery", () => {
    it("a Pipeline Hook is posted with GitLab's headers, and a resend keeps its Idempotency-Key", async () => {
      const receiver = await startReceiver(() => 200);
      try {
        await api.ProjectHooks.add(project.id, receiver.url, { token: "s3cret", pipelineEvents: true, pushEvents: false });
        const pipeline = sim.createPipeline(project, { sha: SHA, ref: "main" });
        const [result] = await sim.deliver(project, "Pipeline Hook", sim.pipelineHookPayload(pipeline));
        assert.equal(result!.status, 200);
        const h = receiver.received[0]!.headers;
        assert.equal(h["content-type"], "application/json");
        assert.equal(h["user-agent"], "GitLab/17.6.0");
        assert.equal(h["x-gitlab-event"], "Pipeline Hook");
        assert.equal(h["x-gitlab-token"], "s3cret");
        assert.equal(h["x-gitlab-instance"], sim.url);
        for (const name of ["x-gitlab-event-uuid", "x-gitlab-webhook-uuid", "idempotency-key"]) {
          assert.match(String(h[name]), /^[0-9a-f-]{36}$/, name);
        }
        assert.equal((receiver.received[0]!.body as any).object_attributes.id, pipeline.id);

        const key = String(h["idempotency-key"]);
        await sim.deliver(project, "Pipeline Hook", sim.pipelineHookPayload(pipeline), { idempotencyKey: key });
        assert.equal(receiver.received[1]!.headers["idempotency-key"], key);
        assert.notEqual(receiver.received[1]!.headers["x-gitlab-webhook-uuid"], h["x-gitlab-webhook-uuid"]);
        assert.deepEqual(
          sim.deliveries.map((d) => d.idempotencyKey),
          [key, key],
        );
      } finally {
        await receiver.close();
      }
    });

    it("a Job Hook goes only to hooks subscribed to job events", async () => {
      const receiver = await startReceiver(() => 200);
      try {
        await api.ProjectHooks.add(project.id, receiver.url, { pipelineEvents: true, pushEvents: false });
        const pipeline = sim.createPipeline(project, { sha: SHA, ref: "main" });
        assert.deepEqual(await sim.deliver(project, "Job Hook", sim.jobHookPayload(pipeline.jobs[0]!)), []);
        assert.equal(receiver.received.length, 0);
      } finally {
        await receiver.close();
      }
    });

    it("a hook answering 500 four times in a row is disabled and then skipped", async () => {
      const receiver = await startReceiver(() => 500);
      try {
        const hook = await api.ProjectHooks.add(project.id, receiver.url, { pipelineEvents: true });
        const payload = sim.pipelineHookPayload(sim.createPipeline(project, { sha: SHA, ref: "main" }));
        for (let i = 0; i < 3; i++) await sim.deliver(project, "Pipeline Hook", payload);
        assert.equal((await api.ProjectHooks.show(project.id, hook.id)).alert_status, "executable");
        await sim.deliver(project, "Pipeline Hook", payload);
        assert.equal((await api.ProjectHooks.show(project.id, hook.id)).alert_status, "temporarily_disabled");
        assert.deepEqual(await sim.deliver(project, "Pipeline Hook", payload), []);
        assert.equal(receiver.received.length, 4);
      } finally {
        await receiver.close();
      }
    });

    it("a hook that fails 40 times in a row is disabled for good, however long one waits", async () => {
      let clock = Date.parse("2025-01-01T00:00:00Z");
      const timed = await GitLabSim.start({ now: () => clock });
      const receiver = await startReceiver(() => 404);
      try {
        const user = timed.addUser("maria");
        const p = timed.addProject("acme/app");
        timed.addMember(p, user, 40);
        await new Gitlab({ host: timed.url, token: timed.addToken(user) }).ProjectHooks.add(p.id, receiver.url, {
          jobEvents: true,
        });
        const hook = timed.hooks(p)[0]!;
        while (hook.failures < 40) {
          assert.equal((await timed.deliver(p, "Job Hook", {})).length, 1);
          if (hook.disabledUntil) clock = hook.disabledUntil + 1;
        }
        clock += 30 * 24 * 3600_000;
        assert.deepEqual(await timed.deliver(p, "Job Hook", {}), []);
        assert.equal(receiver.received.length, 40);
      } finally {
        await receiver.close();
        await timed.close();
      }
    });
  });

  describe("fault injection", () => {
    it("each injected fault is served once, in order, and then calls succeed again", async () => {
      sim.injectFaults({ status: 500 });
      sim.injectFaults({ status: 429, retryAfter: 7 });
      const err = await rejection(api.Users.showCurrentUser());
      assert.equal(err.cause?.response.status, 500);
      const raw = await fetch(`${sim.url}/api/v4/user`, { headers: { "PRIVATE-TOKEN": token } });
      assert.equal(raw.status, 429);
      assert.equal(raw.headers.get("retry-after"), "7");
      assert.equal((await api.Users.showCurrentUser()).id, maintainer.id);
      assert.deepEqual(
        sim.apiCalls.map((c) => c.status),
        [500, 429, 200],
      );
    });

    it("a 429 without retryAfter carries no Retry-After header", async () => {
      sim.injectFaults({ status: 429 });
      const raw = await fetch(`${sim.url}/api/v4/user`, { headers: { "PRIVATE-TOKEN": token } });
      assert.equal(raw.status, 429);
      assert.equal(raw.headers.get("retry-after"), null);
    });

    it("a fault limited to a route leaves other routes alone; drop destroys the socket, delay slows the answer", async () => {
      sim.injectFaults({ drop: true }, 1, /\/mirror\/pull$/);
      sim.injectFaults({ delayMs: 150 }, 1, /\/user$/);
      await api.Projects.show(project.id);
      await assert.rejects(
        api.Projects.createPullMirror(project.id, "", true),
        (e: Error) => !(e instanceof GitbeakerRequestError),
      );
      const started = Date.now();
      await api.Users.showCurrentUser();
      assert.ok(Date.now() - started >= 140);
      await api.Projects.createPullMirror(project.id, "", true);
      assert.deepEqual(
        sim.apiCalls.map((c) => c.status),
        [200, 0, 200, 200],
      );
    });
  });
});

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { eventually, Stack } from "../support/stack";

describe("operations endpoints", () => {
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("/readyz says ready once migrations are applied and the worker runs, and not when it is stopped", async () => {
    stack = await Stack.start({ worker: false });
    const before = await fetch(`${stack.app.url}/readyz`);
    assert.equal(before.status, 503);
    assert.deepEqual(await before.json(), { ready: false, migrations: "applied", worker: "stopped" });
    stack.app.worker.start();
    assert.equal((await fetch(`${stack.app.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${stack.app.url}/healthz`)).status, 200);
  });

  it("/metrics is off without METRICS_TOKEN", async () => {
    stack = await Stack.start();
    assert.equal((await fetch(`${stack.app.url}/metrics`)).status, 404);
  });

  it("/metrics needs the token and counts intake, outbox rows, delivery latency and peer answers", async () => {
    const token = randomBytes(24).toString("hex");
    stack = await Stack.start({ env: { METRICS_TOKEN: token } });
    const { project } = await stack.linkedRepository();
    const sha = randomBytes(20).toString("hex");
    const p = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p));
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p), { token: "wrong" });
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1);

    assert.equal((await fetch(`${stack.app.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${stack.app.url}/metrics`, { headers: { Authorization: "Bearer nope" } })).status, 401);
    const text = await eventually(async () => {
      const t = await (await fetch(`${stack.app.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).text();
      return /gl4bb_delivery_seconds_count\{kind="status-sync",outcome="done"\} 1/.test(t) ? t : null;
    });
    assert.match(text, /gl4bb_intake_total\{source="gitlab",event="Pipeline Hook",result="accepted"\} 1/);
    assert.match(text, /gl4bb_intake_total\{source="gitlab",event="Pipeline Hook",result="401"\} 1/);
    assert.match(text, /gl4bb_outbox_rows\{state="pending"\} 0/);
    assert.match(text, /gl4bb_peer_responses_total\{peer="bitbucket",status="201"\} 1/);
    assert.match(text, /gl4bb_process_resident_memory_bytes/);
  });
});

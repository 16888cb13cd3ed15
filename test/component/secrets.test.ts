import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { QueryTypes } from "sequelize";
import { resealAll } from "../../src/security/reseal";
import { SecretBox } from "../../src/security/secret-box";
import { eventually, Stack } from "../support/stack";

describe("secrets at rest and in logs", function () {
  this.timeout(30_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());

  it("no secret of a full run appears in the database file or in the logs", async () => {
    stack = await Stack.start();
    const { tenant, repo, project, gitlabToken, settingsToken } = await stack.linkedRepository();
    const hookSecret = stack.gitlab.hooks(project)[0]!.token!;
    await stack.bitbucket.push(tenant, repo, { branch: "main" });
    const sha = randomBytes(20).toString("hex");
    const p = stack.gitlab.createPipeline(project, { sha, ref: "main" });
    stack.gitlab.setPipelineStatus(p, "success");
    await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(p));
    await eventually(() => stack.bitbucket.statuses({ sha }).length === 1);
    // A bad request carrying a secret, to make sure failures do not log what they were given.
    await stack.gitlab.deliver(project, "Pipeline Hook", { object_kind: "pipeline" }, { token: hookSecret });
    await stack.api(settingsToken, "PUT", repo.uuid, {
      gitlabUrl: stack.gitlab.url,
      project: "acme/widgets",
      token: "glpat-" + "z".repeat(20),
      statusMode: "nope",
    });

    const secrets = { sharedSecret: tenant.sharedSecret, gitlabToken, hookSecret };
    await stack.app.deps.sequelize.query("PRAGMA wal_checkpoint(FULL)").catch(() => undefined);
    const url = stack.app.deps.config.databaseUrl;
    const dir = path.dirname(url.replace(/^sqlite:/, ""));
    const files = url.startsWith("sqlite:") ? readdirSync(dir).filter((f) => f.startsWith("app.sqlite")) : [];
    if (url.startsWith("sqlite:")) assert.ok(files.length > 0, "no database file found to search");
    const dump = JSON.stringify(await dumpAll(stack));
    for (const [name, secret] of Object.entries(secrets)) {
      for (const f of files) assert.ok(!readFileSync(path.join(dir, f)).includes(secret), `${name} is in ${f}`);
      if (dump) assert.ok(!dump.includes(secret), `${name} is in the database`);
      assert.ok(!stack.logs.join("").includes(secret), `${name} is in the logs`);
    }
    assert.ok(stack.logs.length > 5, "the run logged almost nothing, so the grep proves little");
  });

  it("a signed re-install whose qsh does not match leaves neither secret in the logs (ACE prints the canonical request)", async () => {
    stack = await Stack.start();
    const tenant = await stack.install();
    const newSecret = randomBytes(48).toString("base64url");
    const body = {
      key: "gitlab-ci-for-bitbucket",
      clientKey: tenant.clientKey,
      sharedSecret: newSecret,
      baseUrl: stack.bitbucket.baseUrl,
      baseApiUrl: stack.bitbucket.apiBaseUrl,
      productType: "bitbucket",
      eventType: "installed",
      principal: { uuid: tenant.workspace.uuid, type: "team" },
    };
    const res = await stack.bitbucket.signedFetch(tenant, "POST", "/installed", body, { qsh: "0".repeat(64) });
    assert.equal(res.status, 401);
    const logs = stack.logs.join("");
    assert.match(logs, /Query hash mismatch/, "ACE did report the mismatch (else this test proves nothing)");
    assert.ok(!logs.includes(newSecret), "the new shared secret is in the logs");
    assert.ok(!logs.includes(tenant.sharedSecret), "the old shared secret is in the logs");
  });

  it("a key rotation re-seals every secret under the new key, and the old key can then be dropped", async () => {
    stack = await Stack.start();
    const { tenant, gitlabToken } = await stack.linkedRepository();
    const oldKeys = stack.app.deps.config.encryptionKeys;
    const newKey = randomBytes(32);
    const rotating = new SecretBox([newKey, ...oldKeys]);
    assert.equal(await resealAll(stack.app.deps.sequelize, rotating), 3);
    assert.equal(await resealAll(stack.app.deps.sequelize, rotating), 0, "a second run has nothing left to do");

    const onlyNew = new SecretBox([newKey]);
    const [t] = await stack.app.deps.sequelize.query<{ shared_secret: string }>("SELECT shared_secret FROM tenants", {
      type: QueryTypes.SELECT,
    });
    assert.equal(onlyNew.open(t!.shared_secret), tenant.sharedSecret);
    const [l] = await stack.app.deps.sequelize.query<{ token: string }>("SELECT token FROM links", { type: QueryTypes.SELECT });
    assert.equal(onlyNew.open(l!.token), gitlabToken);
  });
});

async function dumpAll(stack: Stack): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const table of ["tenants", "links", "outbox", "deliveries", "posted_statuses", "audit_events", "tenant_budgets"]) {
    out.push(await stack.app.deps.sequelize.query(`SELECT * FROM ${table}`, { type: QueryTypes.SELECT }));
  }
  return out;
}

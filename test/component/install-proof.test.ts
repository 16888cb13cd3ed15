import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { Stack } from "../support/stack";

/** An install body as Bitbucket sends it, for a workspace of our choosing, posted by anyone. */
function installBody(stack: Stack, workspaceUuid: string, sharedSecret: string) {
  return {
    key: "gitlab-ci-for-bitbucket",
    clientKey: `ari:cloud:bitbucket::app/${workspaceUuid}/gitlab-ci-for-bitbucket`,
    sharedSecret,
    baseUrl: stack.bitbucket.baseUrl,
    baseApiUrl: stack.bitbucket.apiBaseUrl,
    productType: "bitbucket",
    eventType: "installed",
    principal: { uuid: workspaceUuid, type: "team" },
  };
}

const postInstall = (stack: Stack, body: unknown) =>
  fetch(`${stack.app.url}/installed`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

describe("an install is trusted only when Bitbucket vouches for it", function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  it("refuses a squatter's first install with a secret of its own and stores nothing; the workspace then installs", async () => {
    const workspaceUuid = `{${randomUUID()}}`;
    const squat = await postInstall(stack, installBody(stack, workspaceUuid, randomBytes(32).toString("base64url")));
    assert.equal(squat.status, 401);
    assert.equal(((await squat.json()) as any).error.code, "unauthorized");
    assert.equal(await stack.app.deps.tenants.tenants.count(), 0);

    const genuine = await stack.bitbucket.install(stack.app.url, { workspaceUuid, workspaceSlug: "acme-corp" });
    assert.equal(genuine.status, 204);
    const repo = stack.bitbucket.addRepository(genuine.tenant, "widgets");
    assert.equal((await fetch(stack.bitbucket.pageUrl(genuine.tenant, repo))).status, 200);
  });

  it("a flood of fake first installs fills nothing", async () => {
    const replies = await Promise.all(
      Array.from({ length: 100 }, () =>
        postInstall(stack, installBody(stack, `{${randomUUID()}}`, randomBytes(32).toString("base64url"))),
      ),
    );
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [401]);
    assert.equal(await stack.app.deps.tenants.tenants.count(), 0);
  });

  it("an unsigned install that Bitbucket vouches for replaces a squatter stored before the proof existed", async () => {
    const workspaceUuid = `{${randomUUID()}}`;
    const squatter = installBody(stack, workspaceUuid, "the-squatters-own-secret-0123456789");
    await stack.app.deps.tenants.tenants.save({
      clientKey: squatter.clientKey,
      appKey: squatter.key,
      sharedSecret: squatter.sharedSecret,
      baseUrl: squatter.baseUrl,
      baseApiUrl: squatter.baseApiUrl,
      workspaceUuid,
      workspaceName: null,
    });
    const genuine = await stack.bitbucket.install(stack.app.url, { workspaceUuid });
    assert.equal(genuine.status, 204);
    assert.equal((await stack.app.deps.tenants.tenants.find(squatter.clientKey))?.sharedSecret, genuine.tenant.sharedSecret);
    const repo = stack.bitbucket.addRepository(genuine.tenant, "widgets");
    assert.equal((await fetch(stack.bitbucket.pageUrl(genuine.tenant, repo, { secret: squatter.sharedSecret }))).status, 401);
    assert.equal((await fetch(stack.bitbucket.pageUrl(genuine.tenant, repo))).status, 200);
  });

  it("a re-install signed with the secret we hold still works, and Bitbucket's grant is asked nothing for it", async () => {
    const oldSecret = (await stack.install()).sharedSecret;
    const grants = () => stack.bitbucket.apiCalls.filter((c) => c.path === "/site/oauth2/access_token").length;
    const before = grants();
    const again = await stack.bitbucket.install(stack.app.url, { workspaceSlug: "acme-corp" });
    assert.equal(again.status, 204);
    assert.notEqual(again.tenant.sharedSecret, oldSecret);
    assert.equal(grants(), before);
  });

  it("of two concurrent first installs of one workspace, the app ends holding the secret Bitbucket signs with", async () => {
    const workspaceUuid = `{${randomUUID()}}`;
    const replies = await Promise.all([
      stack.bitbucket.install(stack.app.url, { workspaceUuid, workspaceSlug: "acme-corp" }),
      stack.bitbucket.install(stack.app.url, { workspaceUuid, workspaceSlug: "acme-corp" }),
    ]);
    assert.ok(
      replies.some((r) => r.status === 204),
      replies.map((r) => `${r.status} ${r.body}`).join("; "),
    );
    for (const r of replies) assert.ok([204, 409].includes(r.status), `${r.status} ${r.body}`);
    const repo = stack.bitbucket.addRepository(replies[0]!.tenant, "widgets");
    assert.equal((await fetch(stack.bitbucket.pageUrl(replies[0]!.tenant, repo))).status, 200);
  });

  it("two concurrent first writes of one clientKey cannot both pass: the table's key decides", async () => {
    const tenant = (secret: string) => ({
      clientKey: "ari:cloud:bitbucket::app/{00000000-0000-0000-0000-000000000001}/gitlab-ci-for-bitbucket",
      appKey: "gitlab-ci-for-bitbucket",
      sharedSecret: secret,
      baseUrl: stack.bitbucket.baseUrl,
      baseApiUrl: stack.bitbucket.apiBaseUrl,
      workspaceUuid: "{00000000-0000-0000-0000-000000000001}",
      workspaceName: null,
    });
    const tenants = stack.app.deps.tenants.tenants;
    const results = await Promise.all([tenants.insertNew(tenant("a".repeat(32))), tenants.insertNew(tenant("b".repeat(32)))]);
    assert.deepEqual(results.sort(), [false, true]);
    // A replacement must name the secret it replaces: a stale one loses.
    const held = (await tenants.find(tenant("").clientKey))!.sharedSecret;
    const stale = held === "a".repeat(32) ? "b".repeat(32) : "a".repeat(32);
    assert.equal(await tenants.replace(tenant("c".repeat(32)), stale), false);
    assert.equal(await tenants.replace(tenant("c".repeat(32)), held), true);
    assert.equal((await tenants.find(tenant("").clientKey))!.sharedSecret, "c".repeat(32));
  });
});

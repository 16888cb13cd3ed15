import assert from "node:assert/strict";
import { hmacFit, signFit, triggerClaims, unsignedFit, type ForgeInstall } from "../../sim/forge-sim";
import { forgeLinkedRepository, linkPath, rows } from "../support/forge-world";
import { drained, eventually, Stack } from "../support/stack";

const sha = "a1742195055dc0a1f2e3d4c5b6a79881726354ab";

describe("the Forge door", () => {
  describe("with FORGE_APP_ID unset", () => {
    let stack: Stack;
    before(async () => (stack = await Stack.start({ worker: false })));
    after(async () => stack.stop());

    it("has no Forge routes at all: every /forge path is a 404", async () => {
      for (const path of ["/forge/lifecycle", "/forge/tick", "/forge/events/push", "/forge/events/pullrequest"]) {
        const res = await fetch(stack.app.url + path, { method: "POST" });
        assert.equal(res.status, 404, path);
      }
      const res = await fetch(stack.app.url + linkPath("{c389eba6-ca13-49c5-8dec-4e617d39dffe}"));
      assert.equal(res.status, 404);
    });

    it("leaves forgeAppId and forgeAppLink out of the Connect descriptor", async () => {
      const descriptor = await (await fetch(`${stack.app.url}/atlassian-connect.json`)).json();
      assert.equal(descriptor.forgeAppId, undefined);
      assert.equal(descriptor.forgeAppLink, undefined);
    });
  });

  describe("the Connect descriptor, when the Forge app is configured", () => {
    let stack: Stack;
    const link = "https://developer.atlassian.com/console/install/00000000-0000-4000-8000-000000000000?signature=abc";
    before(async () => (stack = await Stack.start({ worker: false, forge: true, env: { FORGE_APP_LINK: link } })));
    after(async () => stack.stop());

    it("names the Forge app (forgeAppId = FORGE_APP_ID) and the link that installs it (FORGE_APP_LINK)", async () => {
      const descriptor = await (await fetch(`${stack.app.url}/atlassian-connect.json`)).json();
      assert.equal(descriptor.forgeAppId, stack.forge!.appId);
      assert.equal(descriptor.forgeAppLink, link);
      assert.equal(descriptor.modules.webhooks[0].event, "repo:push", "the rest of the descriptor is unchanged");
    });
  });

  describe("with FORGE_APP_ID set", () => {
    let stack: Stack;
    beforeEach(async () => (stack = await Stack.start({ forge: true })));
    afterEach(async () => stack.stop());

    it("refuses every forged or foreign invocation token with a JSON 401, storing and queueing nothing", async () => {
      const forge = stack.forge!;
      const install: ForgeInstall = {
        installationId: "ari:cloud:ecosystem::installation/3f1c2b4a-5d6e-4f70-8192-a3b4c5d6e7f8",
        workspaceId: "b7ea02c9-3f1d-4d6e-8a2b-5c9e1f0d7a63",
        apiBaseUrl: stack.bitbucket.apiBaseUrl,
        environment: "PRODUCTION",
        systemToken: "system-token-of-nobody",
      };
      const claims = triggerClaims(forge.appId, install);
      const forgeries: Record<string, string | null> = {
        "no token": null,
        "alg none": unsignedFit(claims),
        "HS256 keyed with the public modulus": await hmacFit(String(forge.key.publicJwk.n), claims, forge.key.kid),
        "another key": await signFit(forge.stranger, claims),
        "another key under the published kid": await signFit({ ...forge.stranger, kid: forge.key.kid }, claims),
        "another app id": await signFit(
          forge.key,
          triggerClaims("ari:cloud:ecosystem::app/11111111-1111-4111-8111-111111111111", install),
        ),
        "another environment": await signFit(forge.key, triggerClaims(forge.appId, { ...install, environment: "DEVELOPMENT" })),
        expired: await signFit(forge.key, claims, { ttlSeconds: -120 }),
        "not valid yet": await signFit(forge.key, claims, { notBeforeInSeconds: 120 }),
        "no kid": await signFit(forge.key, claims, { kid: null }),
      };
      const push = forge.pushEvent(install, "{c389eba6-ca13-49c5-8dec-4e617d39dffe}");
      for (const [name, fit] of Object.entries(forgeries)) {
        for (const path of ["/forge/lifecycle", "/forge/tick", "/forge/events/push"]) {
          const body = path === "/forge/events/push" ? push : { eventType: "avi:forge:installed:app" };
          const res = await forge.send(stack.app.url + path, "POST", fit, install.systemToken, body);
          assert.equal(res.status, 401, `${name} on ${path}`);
          assert.equal(res.body.error.code, "invalid_invocation_token", name);
        }
        const ui = await forge.send(stack.app.url + linkPath("{c389eba6-ca13-49c5-8dec-4e617d39dffe}"), "GET", fit, null);
        assert.equal(ui.status, 401, `${name} on the settings API`);
      }
      assert.equal(await rows(stack, "forge_installations"), 0);
      assert.equal(await rows(stack, "tenants"), 0);
      assert.equal(await rows(stack, "outbox"), 0);
      assert.ok(!stack.logs.join("").includes("system-token-of-nobody"), "the system token is never logged");
    });

    it("serves a workspace end to end: install, link, push, pipeline, status posted with the system token", async () => {
      const { install, repo, project, link } = await forgeLinkedRepository(stack);
      assert.equal(link.repoUuid, repo.uuid);

      const pushed = await stack.forge!.sendPush(stack.app.url, install, stack.forge!.pushEvent(install, repo.uuid));
      assert.equal(pushed.status, 200);
      assert.equal(pushed.body.outcome, "accepted");
      await eventually(() => stack.gitlab.mirrorTriggers(project).length >= 1);

      const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
      stack.gitlab.setPipelineStatus(pipeline, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
      const status = await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "SUCCESSFUL"));
      assert.equal(status.repoUuid, repo.uuid);
      assert.equal(status.postedBy, `forge-app:${stack.forge!.appId}`, "posted with the Forge app's bearer system token");
      const call = stack.bitbucket.apiCalls.find((c) => c.method === "POST" && c.path.includes("/statuses/build"));
      assert.equal(call?.status, 201);

      const sealed = (await stack.app.deps.sequelize.query("SELECT system_token FROM forge_installations", {
        type: "SELECT",
      })) as any[];
      assert.ok(!String(sealed[0].system_token).includes(install.systemToken), "the system token is sealed at rest");
      assert.ok(!stack.logs.join("").includes(install.systemToken), "the system token is never logged");
    });

    it("keeps a token only when it lasts longer than the one held (a late retry cannot replace a newer token)", async () => {
      const forge = stack.forge!;
      const install = await forge.install(stack.app.url);
      const old = install.systemToken;
      forge.systemTokenTtlMs += 60_000; // `exp` is in seconds: make sure the new one ends later
      forge.renewSystemToken(install);
      const fresh = install.systemToken;
      assert.equal((await forge.tick(stack.app.url, install)).status, 200);
      // A retry of an earlier event arrives with the older token.
      install.systemToken = old;
      assert.equal((await forge.tick(stack.app.url, install)).status, 200);
      const held = await stack.app.deps.forgeInstallations.token(`forge:${install.installationId}`);
      assert.equal(held?.token, fresh);
    });

    it("refuses creating a pull-mirror project for a Forge installation: its system token never goes to GitLab", async () => {
      const forge = stack.forge!;
      const install = await forge.install(stack.app.url);
      const repo = stack.bitbucket.addRepository({ workspace: stack.bitbucket.workspace(`{${install.workspaceId}}`) }, "widgets");
      const user = stack.gitlab.addUser("ada", "Ada Lovelace");
      const token = stack.gitlab.addToken(user);
      const group = stack.gitlab.addGroup("acme");
      stack.gitlab.addGroupMember(group, user, 40);
      const path = `/forge/api/repositories/${encodeURIComponent(repo.uuid)}/project`;
      const body = { gitlabUrl: stack.gitlab.url, token, namespaceId: group.id, projectName: "widgets", statusMode: "pipeline" };
      const res = await forge.ui(stack.app.url, install, "POST", path, body, { repoUuid: repo.uuid });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "pull_mirror_unavailable");
      assert.equal(await rows(stack, "links"), 0);
      await drained(stack);
    });
  });
});

import assert from "node:assert/strict";
import { forgeLinkedRepository, linkPath, rows } from "../support/forge-world";
import { drained, eventually, Stack } from "../support/stack";
import { handedOverKey } from "../../src/core/status-key";
import { MIRROR_TRIGGER } from "../../src/sync/trigger-mirror";
import { forgeLoop } from "../../scripts/sandbox-forge";

const DAY = 24 * 60 * 60_000;
const sha = "b2853206166ed1b2f3e4d5c6b7a8099a2837465b";
const later = "c3964317277fe2c3a4f5e6d7c8b90aab3948576c";

describe("the Forge edition, after install", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ forge: true })));
  afterEach(async () => stack.stop());

  describe("uninstall detection (Forge sends no uninstall event)", () => {
    it("judges an installation gone once it is silent and Bitbucket refuses its token: work stopped, hooks removed, data erased after the grace period", async () => {
      stack.forge!.systemTokenTtlMs = 10 * DAY; // a token that should still work, so that its refusal means something
      const { install, project, repo } = await forgeLinkedRepository(stack);
      const key = `forge:${install.installationId}`;
      const link = (await stack.app.deps.links.forRepository(key, repo.uuid))!;
      const reaper = stack.app.forgeReaper!;
      assert.equal(stack.gitlab.hooks(project).length, 1, "the link registered its webhook");

      // An hour of silence is nothing: Forge ticks hourly.
      assert.deepEqual((await reaper.runOnce(Date.now() + 60 * 60_000)).gone, []);

      // Work waiting for it (a mirror trigger due later), then days of silence: its token has long ended
      // and no tick came.
      await stack.app.deps.outbox.enqueue({
        clientKey: key,
        linkId: link.id,
        kind: MIRROR_TRIGGER,
        dedupeKey: `test-waiting:${link.id}`,
        payload: { linkId: link.id, refs: ["main"] },
        delayMs: 60 * 60_000,
      });
      assert.ok(Number((await stack.app.deps.outbox.depth()).pending) >= 1);
      const goneAt = Date.now() + 3 * DAY + 60_000;
      // Silence alone: only suspected (its sweeps pause), its work and hook stay.
      assert.deepEqual((await reaper.runOnce(goneAt)).gone, []);
      assert.equal(stack.gitlab.hooks(project).length, 1, "silence alone removes no webhook");
      assert.ok(Number((await stack.app.deps.outbox.depth()).pending) >= 1, "silence alone drops no work");
      // Bitbucket refuses its token (uninstalled): the live check finds it so.
      stack.forge!.expireSystemToken(install);
      assert.deepEqual((await reaper.runOnce(goneAt)).gone, [key]);
      assert.equal(await stack.app.deps.findInstallation(key), null, "its work ends instead of waiting for a token");
      assert.equal(Number((await stack.app.deps.outbox.depth()).pending), 0, "its queued work is dropped");
      assert.equal(stack.gitlab.hooks(project).length, 0, "its GitLab webhook is removed");
      assert.equal(await rows(stack, "links"), 1, "its data is kept during the grace period");
      await stack.app.deps.sweeps.schedule(goneAt, 60_000);
      assert.deepEqual(await stack.app.deps.sweeps.claimDue(goneAt + DAY, 60_000, 500), [], "its catch-up sweeps stop");

      // Not yet erased one day later; erased once the grace period (30 days) is over.
      assert.deepEqual((await reaper.runOnce(goneAt + DAY)).erased, []);
      assert.deepEqual((await reaper.runOnce(goneAt + 30 * DAY + 60_000)).erased, [key]);
      assert.equal(await rows(stack, "links"), 0);
      assert.equal(await rows(stack, "forge_installations"), 0);
      assert.equal(await rows(stack, "tenants"), 0);
    });

    it("revives an installation judged gone when a verified call comes before erasure", async () => {
      stack.forge!.systemTokenTtlMs = 10 * DAY;
      const { install, repo } = await forgeLinkedRepository(stack);
      const key = `forge:${install.installationId}`;
      const reaper = stack.app.forgeReaper!;
      const goneAt = Date.now() + 3 * DAY + 60_000;
      stack.forge!.expireSystemToken(install);
      assert.deepEqual((await reaper.runOnce(goneAt)).gone, [key]);

      stack.forge!.renewSystemToken(install);
      assert.equal((await stack.forge!.tick(stack.app.url, install)).status, 200);
      assert.ok(await stack.app.deps.findInstallation(key), "found again");
      // It is live again: not gone, nothing to erase, and its link is swept again.
      assert.deepEqual(await reaper.runOnce(Date.now() + 60_000), { gone: [], erased: [] });
      await stack.app.deps.sweeps.schedule(Date.now(), 60_000);
      assert.equal((await stack.app.deps.sweeps.claimDue(Date.now() + DAY, 60_000, 500)).length, 1);
      const page = await stack.forge!.ui(stack.app.url, install, "GET", linkPath(repo.uuid), undefined, { repoUuid: repo.uuid });
      assert.equal(page.status, 200);
    });

    it("gives a reinstalled app (Forge gives it a new installation id) the links of its gone installation back", async () => {
      stack.forge!.systemTokenTtlMs = 10 * DAY;
      const { install, repo } = await forgeLinkedRepository(stack);
      stack.forge!.expireSystemToken(install);
      assert.equal((await stack.app.forgeReaper!.runOnce(Date.now() + 3 * DAY + 60_000)).gone.length, 1);
      const again = await stack.forge!.install(stack.app.url, { workspaceUuid: `{${install.workspaceId}}` });
      assert.notEqual(again.installationId, install.installationId);
      const page = await stack.forge!.ui(stack.app.url, again, "GET", linkPath(repo.uuid), undefined, { repoUuid: repo.uuid });
      assert.equal(page.status, 200);
      assert.equal(page.body.link.webhookRegistered, false, "its webhook was removed when the installation went");
    });

    it("takes a preUninstall call as a hint only: sweeps pause, queued work and the webhook stay, a verified call clears it", async () => {
      const { install, project, repo } = await forgeLinkedRepository(stack);
      const key = `forge:${install.installationId}`;
      const link = (await stack.app.deps.links.forRepository(key, repo.uuid))!;
      await stack.app.deps.outbox.enqueue({
        clientKey: key,
        linkId: link.id,
        kind: MIRROR_TRIGGER,
        dedupeKey: `test-waiting:${link.id}`,
        payload: { linkId: link.id, refs: ["main"] },
        delayMs: 60 * 60_000,
      });
      const res = await stack.forge!.invoke(stack.app.url, "/forge/uninstalling", install, {});
      assert.equal(res.status, 200);
      assert.ok(await stack.app.deps.findInstallation(key), "not judged gone on a hint");
      assert.equal(stack.gitlab.hooks(project).length, 1, "its webhook stays");
      assert.ok(Number((await stack.app.deps.outbox.depth()).pending) >= 1, "its queued work stays");
      await stack.app.deps.sweeps.schedule(Date.now(), 60_000);
      assert.deepEqual(await stack.app.deps.sweeps.claimDue(Date.now() + DAY, 60_000, 500), [], "its sweeps pause");
      // Its token still works (the uninstall was cancelled, or the hint was sent in error): the reaper's live
      // check finds so and retires nothing.
      assert.deepEqual((await stack.app.forgeReaper!.runOnce(Date.now() + 60_000)).gone, []);
      assert.equal((await stack.forge!.tick(stack.app.url, install)).status, 200);
      assert.equal((await stack.app.deps.sweeps.claimDue(Date.now() + DAY, 60_000, 500)).length, 1, "sweeps resume");
    });

    it("retires a suspected installation once Bitbucket refuses its token, without waiting for days of silence", async () => {
      const { install, project } = await forgeLinkedRepository(stack);
      const key = `forge:${install.installationId}`;
      assert.equal((await stack.forge!.invoke(stack.app.url, "/forge/uninstalling", install, {})).status, 200);
      stack.forge!.expireSystemToken(install); // the app was uninstalled: Bitbucket refuses its token
      assert.deepEqual((await stack.app.forgeReaper!.runOnce(Date.now() + 60_000)).gone, [key]);
      assert.equal(await stack.app.deps.findInstallation(key), null);
      assert.equal(stack.gitlab.hooks(project).length, 0);
    });

    it("retires nobody when every installation went silent at once (our own outage)", async () => {
      stack.forge!.systemTokenTtlMs = 10 * DAY;
      const first = await forgeLinkedRepository(stack);
      const second = await forgeLinkedRepository(stack, { projectPath: "acme/second" });
      const threeDaysOn = Date.now() + 3 * DAY + 60_000;
      // Even a refusal met during our outage retires no one: the silence of all is ours, not theirs.
      stack.forge!.expireSystemToken(first.install);
      assert.deepEqual(await stack.app.forgeReaper!.runOnce(threeDaysOn), { gone: [], erased: [] });
      assert.ok(await stack.app.deps.findInstallation(`forge:${first.install.installationId}`));
      assert.equal(stack.gitlab.hooks(first.project).length, 1);
      assert.equal(stack.gitlab.hooks(second.project).length, 1);
    });

    it("erases a gone installation's row with its sealed token once, and the next ones are not starved", async () => {
      stack.forge!.systemTokenTtlMs = 10 * DAY;
      const { install } = await forgeLinkedRepository(stack);
      const key = `forge:${install.installationId}`;
      stack.forge!.expireSystemToken(install);
      const goneAt = Date.now() + 3 * DAY + 60_000;
      assert.deepEqual((await stack.app.forgeReaper!.runOnce(goneAt)).gone, [key]);
      const store = stack.app.deps.forgeInstallations;
      assert.deepEqual(await store.goneBefore(goneAt + 31 * DAY), [key]);
      assert.deepEqual((await stack.app.forgeReaper!.runOnce(goneAt + 31 * DAY)).erased, [key]);
      assert.equal(await store.find(key), null, "the row and its sealed system token are gone");
      assert.deepEqual(await store.goneBefore(goneAt + 31 * DAY), [], "it never comes back to the erasure");
      assert.equal(await store.removeGone(key, goneAt + 31 * DAY), false);
    });

    it("leaves an installation that keeps ticking alone, even when the token it left has ended", async () => {
      const { install } = await forgeLinkedRepository(stack);
      assert.equal((await stack.forge!.tick(stack.app.url, install)).status, 200);
      // Three hours on by the check's clock: the 2-hour token has ended, but the installation called recently.
      assert.deepEqual((await stack.app.forgeReaper!.runOnce(Date.now() + 3 * 60 * 60_000)).gone, []);
    });

    it("needs Bitbucket to refuse the freshest token: days of silence alone are not enough while it is still good", async () => {
      stack.forge!.systemTokenTtlMs = 10 * DAY; // longer than FORGE_GONE_AFTER_MS, to tell the two conditions apart
      const { install, project } = await forgeLinkedRepository(stack);
      const key = `forge:${install.installationId}`;
      const later3Days = () => Date.now() + 3 * DAY + 60_000;
      assert.deepEqual((await stack.app.forgeReaper!.runOnce(later3Days())).gone, []);

      // Bitbucket refuses the token on the next status post: now the silence counts.
      stack.forge!.expireSystemToken(install);
      const pipeline = stack.gitlab.createPipeline(project, { sha, ref: "main" });
      stack.gitlab.setPipelineStatus(pipeline, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(pipeline));
      await eventually(() => stack.bitbucket.apiCalls.some((c) => c.status === 401));
      await eventually(async () => (await stack.app.deps.forgeInstallations.token(key))?.expiresAt === 0);
      assert.deepEqual((await stack.app.forgeReaper!.runOnce(later3Days())).gone, [key]);
    });
  });

  describe("migration from the Connect edition", () => {
    async function connectAndForge() {
      const connect = await stack.linkedRepository();
      const install = await stack.forge!.install(stack.app.url, { workspaceUuid: connect.tenant.workspace.uuid });
      assert.equal(install.status, 200);
      return { ...connect, install };
    }
    const forgePage = (install: any, repoUuid: string) =>
      stack.forge!.ui(stack.app.url, install, "GET", linkPath(repoUuid), undefined, { repoUuid });

    it("shows the Connect link on the Forge page and switches the identity without double statuses", async () => {
      const { tenant, repo, project, install } = await connectAndForge();

      // Under Connect: a pipeline starts, the Connect identity posts INPROGRESS.
      const running = stack.gitlab.createPipeline(project, { sha, ref: "main" });
      stack.gitlab.setPipelineStatus(running, "running");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(running));
      await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "INPROGRESS"));
      await drained(stack);

      // The Forge page of the repository shows the same link (adopted: the Forge installation serves it now).
      const page = await forgePage(install, repo.uuid);
      assert.equal(page.status, 200);
      assert.equal(page.body.link.projectPath, project.pathWithNamespace);

      // The running pipeline finishes: its status is finished by its creator, the Connect identity.
      stack.gitlab.setPipelineStatus(running, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(running));
      const done = await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "SUCCESSFUL"));
      assert.equal(done.postedBy, tenant.clientKey);
      assert.equal(stack.bitbucket.statuses({ sha }).length, 1, "one status for the pipeline, not one per edition");

      // A new commit's status is posted once, by the Forge identity.
      const next = stack.gitlab.createPipeline(project, { sha: later, ref: "main" });
      stack.gitlab.setPipelineStatus(next, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(next));
      const forgeStatus = await eventually(() => stack.bitbucket.statuses({ sha: later }).find((s) => s.state === "SUCCESSFUL"));
      assert.equal(forgeStatus.postedBy, `forge-app:${stack.forge!.appId}`);
      await drained(stack);
      assert.equal(stack.bitbucket.statuses({ sha: later }).length, 1);
      assert.ok(!stack.bitbucket.apiCalls.some((c) => c.status === 403), "no post was refused as another creator's");

      // A push through either door triggers the mirror once: the Connect door no longer holds the link.
      const before = stack.gitlab.mirrorTriggers(project).length;
      const pushed = await stack.forge!.sendPush(stack.app.url, install, stack.forge!.pushEvent(install, repo.uuid));
      assert.equal(pushed.body.outcome, "accepted");
      await eventually(() => stack.gitlab.mirrorTriggers(project).length > before);

      // Uninstalling the Connect edition afterwards erases nothing the Forge installation uses.
      assert.equal((await stack.bitbucket.uninstall(tenant)).status, 204);
      assert.equal((await forgePage(install, repo.uuid)).status, 200);
      assert.equal(stack.gitlab.hooks(project).length, 1, "the webhook stays");
    });

    it("re-posts under a key of its own what the Connect identity left running when Connect is uninstalled first", async () => {
      const { tenant, repo, project, install } = await connectAndForge();
      const running = stack.gitlab.createPipeline(project, { sha, ref: "main" });
      stack.gitlab.setPipelineStatus(running, "running");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(running));
      const left = await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "INPROGRESS"));
      await drained(stack);
      assert.equal((await forgePage(install, repo.uuid)).status, 200, "adopted");
      assert.equal((await stack.bitbucket.uninstall(tenant)).status, 204);

      stack.gitlab.setPipelineStatus(running, "success");
      await stack.gitlab.deliver(project, "Pipeline Hook", stack.gitlab.pipelineHookPayload(running));
      const result = await eventually(() => stack.bitbucket.statuses({ sha }).find((s) => s.state === "SUCCESSFUL"));
      assert.equal(result.key, handedOverKey(left.key));
      assert.equal(result.postedBy, `forge-app:${stack.forge!.appId}`);
      await drained(stack);
      const refused = stack.bitbucket.apiCalls.filter((c) => c.status === 403);
      assert.deepEqual(refused, [], "no overwrite of the Connect identity's status was tried");
      assert.equal(Number((await stack.app.deps.outbox.depth()).dead), 0);
    });

    it("adopts on the first Forge push too, so pushes keep working before anyone opens the page", async () => {
      const { repo, project, install } = await connectAndForge();
      const before = stack.gitlab.mirrorTriggers(project).length;
      const pushed = await stack.forge!.sendPush(stack.app.url, install, stack.forge!.pushEvent(install, repo.uuid));
      assert.equal(pushed.status, 200);
      assert.equal(pushed.body.outcome, "accepted");
      await eventually(() => stack.gitlab.mirrorTriggers(project).length > before);
    });

    it("never joins on a workspace a Connect tenant merely claimed: Bitbucket must vouch for it", async () => {
      const { repo, install } = await connectAndForge();
      // A second, unproven tenant claims the same workspace and holds a link of a repository of it.
      const workspace = stack.bitbucket.workspace(`{${install.workspaceId}}`);
      const other = stack.bitbucket.addRepository({ workspace }, "gadgets");
      const fakeKey = "ari:cloud:bitbucket::app/{00000000-0000-4000-8000-00000000beef}/gitlab-ci-for-bitbucket";
      await stack.app.deps.tenants.tenants.insertNew({
        clientKey: fakeKey,
        appKey: "gitlab-ci-for-bitbucket",
        sharedSecret: "a-secret-bitbucket-never-issued-0123456789",
        baseUrl: stack.bitbucket.baseUrl,
        baseApiUrl: stack.bitbucket.apiBaseUrl,
        workspaceUuid: `{${install.workspaceId}}`,
        workspaceName: null,
      });
      const connectLink = (await stack.app.deps.sequelize.query("SELECT id FROM links WHERE repo_uuid = ?", {
        replacements: [repo.uuid],
        type: "SELECT",
      })) as any[];
      const template = (await stack.app.deps.links.byId(connectLink[0].id))!;
      await stack.app.deps.links.save({ ...template, id: undefined, clientKey: fakeKey, repoUuid: other.uuid });

      const page = await forgePage(install, other.uuid);
      assert.equal(page.status, 404, "not linked for the Forge installation");
      assert.equal(page.body.error.code, "not_linked");
      const owners = (await stack.app.deps.sequelize.query("SELECT client_key FROM links WHERE repo_uuid = ?", {
        replacements: [other.uuid],
        type: "SELECT",
      })) as any[];
      assert.equal(owners[0].client_key, fakeKey, "the claimed link stays where it was");
    });
  });

  it("runs the Forge sandbox's loop (npm run sandbox -- --forge) to a green commit posted by the Forge app", async () => {
    const said: string[] = [];
    const ok = await forgeLoop(stack.app, stack.bitbucket, stack.gitlab, stack.forge!, (line) => said.push(line));
    assert.ok(ok, said.join("\n"));
  });
});

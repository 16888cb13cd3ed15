import assert from "node:assert/strict";
import { signFit, triggerClaims } from "../../sim/forge-sim";
import { forgeLinkedRepository } from "../support/forge-world";
import { Stack } from "../support/stack";

const ownerOf = async (stack: Stack, repoUuid: string) =>
  (
    (await stack.app.deps.sequelize.query("SELECT client_key FROM links WHERE repo_uuid = ?", {
      replacements: [repoUuid],
      type: "SELECT",
    })) as { client_key: string }[]
  ).map((r) => r.client_key);

describe("the Forge door against forged calls (review findings H1, H2)", () => {
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start({ forge: true })));
  afterEach(async () => stack.stop());

  describe("adoption of Connect links needs the repository proven in the Forge installation's workspace", () => {
    it("a Forge installation of another workspace cannot take a Connect link by a push event naming its repository", async () => {
      const victim = await stack.linkedRepository();
      const attacker = await stack.forge!.install(stack.app.url); // a fresh workspace of its own
      assert.notEqual(`{${attacker.workspaceId}}`, victim.tenant.workspace.uuid);
      // The event's body is not signed: its workspace is the attacker's own, its repository the victim's.
      const event = stack.forge!.pushEvent(attacker, victim.repo.uuid);
      const reply = await stack.forge!.sendPush(stack.app.url, attacker, event);
      assert.equal(reply.status, 200);
      assert.equal(reply.body.outcome, "ignored: repository not linked");
      assert.deepEqual(await ownerOf(stack, victim.repo.uuid), [victim.tenant.clientKey], "the link stays the tenant's");
    });

    it("a Forge push for a repository of its workspace still adopts (Bitbucket shows the repository to its token)", async () => {
      const connect = await stack.linkedRepository();
      const install = await stack.forge!.install(stack.app.url, { workspaceUuid: connect.tenant.workspace.uuid });
      const reply = await stack.forge!.sendPush(stack.app.url, install, stack.forge!.pushEvent(install, connect.repo.uuid));
      assert.equal(reply.status, 200);
      assert.deepEqual(await ownerOf(stack, connect.repo.uuid), [`forge:${install.installationId}`]);
    });
  });

  describe("adoption carries the workspace's settings with the links (review M2)", () => {
    const adopt = async () => {
      const connect = await stack.linkedRepository();
      const install = await stack.forge!.install(stack.app.url, { workspaceUuid: connect.tenant.workspace.uuid });
      return { connect, install, forgeKey: `forge:${install.installationId}` };
    };
    const push = async (install: any, repoUuid: string) =>
      assert.equal((await stack.forge!.sendPush(stack.app.url, install, stack.forge!.pushEvent(install, repoUuid))).status, 200);
    const forgeHosts = async (install: any) => {
      const r = await stack.forge!.ui(stack.app.url, install, "GET", "/forge/api/workspace/settings", undefined, {
        moduleType: "bitbucket:workspaceSettingsMenuPage",
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.settings.allowedGitLabHosts;
    };

    it("the Connect edition's allowed hosts and default token come along when the Forge installation has none", async () => {
      const { connect, install, forgeKey } = await adopt();
      const hosts = [new URL(stack.gitlab.url).host, "gitlab.example.com"];
      await stack.app.deps.workspaceSettings.save(connect.tenant.clientKey, { allowedGitLabHosts: hosts, updatedBy: null });
      await stack.app.deps.workspaceDefaults.save({
        clientKey: connect.tenant.clientKey,
        gitlabUrl: stack.gitlab.url,
        token: "glpat-workspace-default-0001",
        tokenOwner: "ci-bot",
        tokenOwnerName: null,
        updatedBy: null,
      });
      await push(install, connect.repo.uuid);
      assert.deepEqual(await ownerOf(stack, connect.repo.uuid), [forgeKey]);
      assert.deepEqual(await forgeHosts(install), hosts);
      assert.equal((await stack.app.deps.workspaceDefaults.get(forgeKey))?.token, "glpat-workspace-default-0001");
    });

    it("when both have a list, only the hosts both allow stay", async () => {
      const { connect, install, forgeKey } = await adopt();
      const sim = new URL(stack.gitlab.url).host;
      await stack.app.deps.workspaceSettings.save(connect.tenant.clientKey, {
        allowedGitLabHosts: [sim, "gitlab.example.com"],
        updatedBy: null,
      });
      await stack.app.deps.workspaceSettings.save(forgeKey, { allowedGitLabHosts: [sim, "git.example.org"], updatedBy: null });
      await push(install, connect.repo.uuid);
      assert.deepEqual(await ownerOf(stack, connect.repo.uuid), [forgeKey]);
      assert.deepEqual(await forgeHosts(install), [sim]);
    });
  });

  describe("event, tick, lifecycle and uninstall routes refuse settings-page tokens", () => {
    const routes: [string, unknown][] = [
      ["/forge/events/push", {}],
      ["/forge/events/pullrequest", {}],
      ["/forge/tick", {}],
      ["/forge/lifecycle", { eventType: "avi:forge:installed:app" }],
      ["/forge/uninstalling", {}],
    ];

    it("answers 403 to a UI token (invokeRemote from a settings page) on each, and changes nothing", async () => {
      const { install, repo, project } = await forgeLinkedRepository(stack);
      const key = `forge:${install.installationId}`;
      for (const [path, body] of routes) {
        const reply = await stack.forge!.ui(stack.app.url, install, "POST", path, body, { repoUuid: repo.uuid });
        assert.equal(reply.status, 403, `${path}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.error.code, "forbidden", path);
      }
      assert.ok(await stack.app.deps.findInstallation(key), "the uninstall hint was not taken");
      assert.equal(stack.gitlab.hooks(project).length, 1, "its webhook stays");
    });

    it("answers 403 to an event token made for another module of the manifest", async () => {
      const { install, repo } = await forgeLinkedRepository(stack);
      const event = stack.forge!.pushEvent(install, repo.uuid);
      const reply = await stack.forge!.invoke(stack.app.url, "/forge/events/push", install, event, "tick");
      assert.equal(reply.status, 403);
      const uninstall = await stack.forge!.invoke(stack.app.url, "/forge/uninstalling", install, {}, "push-trigger");
      assert.equal(uninstall.status, 403);
      // Its own key, or the key of the module that calls the endpoint, is accepted.
      assert.equal((await stack.forge!.invoke(stack.app.url, "/forge/events/push", install, event, "push-trigger")).status, 200);
      const token = await signFit(stack.forge!.key, triggerClaims(stack.forge!.appId, install, "hourly-trigger"));
      assert.equal((await stack.forge!.send(`${stack.app.url}/forge/tick`, "POST", token, install.systemToken, {})).status, 200);
    });
  });
});

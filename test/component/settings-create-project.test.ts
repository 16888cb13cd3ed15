import assert from "node:assert/strict";
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from "atlassian-jwt";
import { QueryTypes } from "sequelize";
import { mintAccessToken } from "../../src/connect/access-token";
import type { SimTenant } from "../../sim/bitbucket-sim";
import type { SimProject } from "../../sim/gitlab-sim";
import { eventually, Stack } from "../support/stack";

type Reply = { status: number; body: any };

describe("creating the GitLab project for the admin, mirrored with an app-minted Bitbucket token", function () {
  this.timeout(30_000);
  let stack: Stack;
  afterEach(async () => stack?.stop());
  // Installing costs one access token already (the app proves the install with Bitbucket); count after it.
  let installTokens = 0;
  const mintedSinceInstall = () => stack.bitbucket.accessTokens().slice(installTokens);

  async function call(token: string, method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${stack.app.url}${path}`, {
      method,
      headers: { Authorization: `JWT ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /** Acme's workspace with the widgets repository; Ada is Developer in GitLab group "acme", Reporter in "partners". */
  async function setup(opts: { stack?: Parameters<typeof Stack.start>[0] } = {}) {
    stack = await Stack.start(opts.stack);
    const tenant = await stack.install();
    installTokens = stack.bitbucket.accessTokens().length;
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const ada = stack.gitlab.addUser("ada", "Ada Lovelace");
    const adaToken = stack.gitlab.addToken(ada);
    const acme = stack.gitlab.addGroup("acme");
    stack.gitlab.addGroupMember(acme, ada, 30);
    const partners = stack.gitlab.addGroup("partners");
    stack.gitlab.addGroupMember(partners, ada, 20);
    const settingsToken = await stack.settingsToken(tenant, repo);
    const api = (method: string, route: string, body?: unknown) =>
      call(settingsToken, method, `/api/repositories/${encodeURIComponent(repo.uuid)}/${route}`, body);
    const creds = { gitlabUrl: stack.gitlab.url, token: adaToken };
    return { tenant, repo, ada, adaToken, acme, partners, settingsToken, api, creds };
  }

  const tokenInClone = (project: SimProject) => decodeURIComponent(new URL(project.importUrl!).password);

  describe("the Bitbucket simulator's token grant (POST /site/oauth2/access_token)", () => {
    function grant(tenant: SimTenant, claims: Record<string, unknown> = {}, opts: { secret?: string; body?: string } = {}) {
      const iat = Math.floor(Date.now() / 1000);
      const qsh = createQueryStringHash(fromMethodAndUrl("POST", "/site/oauth2/access_token"), false);
      const jwt = encodeSymmetric(
        { iss: tenant.appKey, sub: tenant.clientKey, iat, exp: iat + 180, qsh, ...claims },
        opts.secret ?? tenant.sharedSecret,
        SymmetricAlgorithm.HS256,
      );
      return fetch(`${stack.bitbucket.baseUrl}/site/oauth2/access_token`, {
        method: "POST",
        headers: { Authorization: `JWT ${jwt}`, "Content-Type": "application/x-www-form-urlencoded" },
        body: opts.body ?? "grant_type=urn%3Abitbucket%3Aoauth2%3Ajwt",
      });
    }

    it("swaps the app's Connect JWT for a 2-hour access token of the installation", async () => {
      const { tenant } = await setup();
      const stored = (await stack.app.deps.tenants.get(tenant.clientKey))!;
      const minted = await mintAccessToken(stored, stack.app.deps.config.appKey, 2_000);
      assert.ok(stack.bitbucket.isValidAccessToken(minted.token));
      assert.equal(minted.scopes, "repository pullrequest");
      assert.ok(Math.abs(minted.expiresAt - (Date.now() + 7_200_000)) < 5_000);
      const issued = mintedSinceInstall();
      assert.equal(issued.length, 1);
      assert.equal(issued[0]!.clientKey, tenant.clientKey);
      assert.equal(issued[0]!.expiresAt - issued[0]!.issuedAt, 7_200_000);
    });

    it("verifies the JWT like the REST API does: signature, iss, sub, exp and qsh, and the grant type", async () => {
      const { tenant } = await setup();
      assert.equal((await grant(tenant)).status, 200);
      const refusals: [string, Promise<Response>, number][] = [
        ["another secret", grant(tenant, {}, { secret: "not-the-shared-secret-of-this-tenant" }), 401],
        ["a foreign iss", grant(tenant, { iss: "some-other-app" }), 401],
        ["an unknown sub", grant(tenant, { sub: "ari:cloud:bitbucket::app/{x}/nobody" }), 401],
        ["an expired JWT", grant(tenant, { exp: Math.floor(Date.now() / 1000) - 10 }), 401],
        [
          "a qsh for another request",
          grant(tenant, { qsh: createQueryStringHash(fromMethodAndUrl("GET", "/2.0/user"), false) }),
          401,
        ],
        ["another grant type", grant(tenant, {}, { body: "grant_type=client_credentials" }), 400],
      ];
      for (const [what, pending, status] of refusals) {
        const res = await pending;
        assert.equal(res.status, status, what);
        assert.ok(((await res.json()) as any).error_description, what);
      }
      assert.equal(mintedSinceInstall().length, 1, "only the good request got a token");
    });

    it("issues tokens that expire after their lifetime, and that die with the installation", async () => {
      let offset = 0;
      const { tenant } = await setup({ stack: { bitbucket: { now: () => Date.now() + offset } } });
      const stored = (await stack.app.deps.tenants.get(tenant.clientKey))!;
      const { token } = await mintAccessToken(stored, stack.app.deps.config.appKey, 2_000);
      offset = 7_199_000;
      assert.ok(stack.bitbucket.isValidAccessToken(token));
      offset = 7_200_001;
      assert.equal(stack.bitbucket.isValidAccessToken(token), false);
      offset = 0;
      await stack.bitbucket.uninstall(tenant);
      assert.equal(stack.bitbucket.isValidAccessToken(token), false);
      await assert.rejects(
        mintAccessToken(stored, stack.app.deps.config.appKey, 2_000),
        /Bitbucket refused an access token \(401\)/,
      );
    });
  });

  describe("POST gitlab/namespaces", () => {
    it("lists the namespaces where the token's user may create projects: their own and groups where they are Developer+", async () => {
      const { api, creds } = await setup();
      const res = await api("POST", "gitlab/namespaces", creds);
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.namespaces.map((n: any) => [n.fullPath, n.kind]),
        [
          ["ada", "user"],
          ["acme", "group"],
        ],
      );
      assert.equal(res.body.others, 1, "partners (Reporter) is left out");
      const searched = await api("POST", "gitlab/namespaces", { ...creds, search: "acm" });
      assert.deepEqual(
        searched.body.namespaces.map((n: any) => n.fullPath),
        ["acme"],
      );
    });

    it("answers GitLab's refusal of the token, and a missing token, like the picker does", async () => {
      const { api, creds } = await setup();
      const refused = await api("POST", "gitlab/namespaces", { ...creds, token: "glpat-not-a-real-token" });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, "gitlab_unauthorized");
      const missing = await api("POST", "gitlab/namespaces", { gitlabUrl: creds.gitlabUrl });
      assert.equal(missing.status, 400);
      assert.ok(missing.body.error.fields.token);
    });
  });

  describe("POST project", () => {
    it("creates a private pull-mirror project with pipelines for mirror updates, cloning with an app-minted token, and links it", async () => {
      const { api, creds, acme, tenant, repo } = await setup();
      const res = await api("POST", "project", { ...creds, namespaceId: acme.id, projectName: "widgets", statusMode: "both" });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.project.path, "acme/widgets");
      assert.equal(res.body.project.mirror, true);
      assert.equal(res.body.warning, undefined);
      assert.equal(res.body.link.projectPath, "acme/widgets");
      assert.equal(res.body.link.mirrorManaged, true);
      assert.equal(res.body.link.statusMode, "both");
      assert.equal(res.body.webhook.registered, true, "the creator is Maintainer of the new project");

      const project = stack.gitlab.project("acme/widgets")!;
      assert.equal(project.mirror, true);
      assert.equal(project.mirrorTriggerBuilds, true);
      assert.equal(project.importStatus, "finished");
      const clone = new URL(project.importUrl!);
      assert.equal(clone.origin, stack.bitbucket.baseUrl);
      assert.equal(clone.pathname, `/${repo.fullName}.git`);
      assert.equal(clone.username, "x-token-auth");
      const minted = tokenInClone(project);
      assert.ok(stack.bitbucket.isValidAccessToken(minted), "GitLab holds a token the Bitbucket simulator issued");
      assert.equal(mintedSinceInstall()[0]!.clientKey, tenant.clientKey);
      assert.equal(stack.gitlab.hooks(project).length, 1);
      assert.ok(!JSON.stringify(res.body).includes(minted));
    });

    it("keeps the minted token and the clone URL with it out of its database and its logs", async () => {
      const { api, creds, acme, tenant, repo } = await setup();
      await api("POST", "project", { ...creds, namespaceId: acme.id, projectName: "widgets" });
      await stack.bitbucket.push(tenant, repo, { branch: "main" });
      await eventually(() => mintedSinceInstall().length === 2);
      await eventually(async () => (await stack.app.deps.outbox.dead()).length === 0 && (await pendingRows(stack)) === 0);
      const dump = JSON.stringify(await dumpTables(stack));
      for (const { token } of mintedSinceInstall()) {
        for (const form of [token, encodeURIComponent(token)]) {
          assert.ok(!dump.includes(form), "a minted token is in the database");
          assert.ok(!stack.logs.join("").includes(form), "a minted token is in the logs");
        }
      }
      assert.ok(!dump.includes("x-token-auth"));
    });

    it("names each invalid field in a 400", async () => {
      const { api, creds, acme } = await setup();
      const noNamespace = await api("POST", "project", { ...creds, projectName: "widgets" });
      assert.equal(noNamespace.status, 400);
      assert.ok(noNamespace.body.error.fields.namespaceId);
      const badName = await api("POST", "project", { ...creds, namespaceId: acme.id, projectName: "-/../etc" });
      assert.equal(badName.status, 400);
      assert.ok(badName.body.error.fields.projectName);
      assert.equal(mintedSinceInstall().length, 0, "nothing was minted for an invalid request");
    });

    it("says which field GitLab refused: a taken name, a namespace where the user may not create projects", async () => {
      const { api, creds, acme, partners, ada } = await setup();
      stack.gitlab.addMember(stack.gitlab.addProject("acme/widgets"), ada, 40);
      const taken = await api("POST", "project", { ...creds, namespaceId: acme.id, projectName: "widgets" });
      assert.equal(taken.status, 422);
      assert.equal(taken.body.error.code, "gitlab_project_exists");
      assert.ok(taken.body.error.fields.projectName);
      const reporter = await api("POST", "project", { ...creds, namespaceId: partners.id, projectName: "widgets" });
      assert.equal(reporter.status, 422);
      assert.equal(reporter.body.error.code, "gitlab_namespace_refused");
      assert.match(reporter.body.error.message, /does not let ada create projects/);
      const nowhere = await api("POST", "project", { ...creds, namespaceId: 99_999, projectName: "widgets" });
      assert.equal(nowhere.body.error.code, "gitlab_namespace_refused");
      const badToken = await api("POST", "project", {
        ...creds,
        token: "glpat-not-a-real-token",
        namespaceId: acme.id,
        projectName: "x",
      });
      assert.equal(badToken.body.error.code, "gitlab_unauthorized");
      assert.equal((await api("GET", "link")).status, 404, "nothing was linked");
      for (const { token } of mintedSinceInstall()) {
        assert.ok(!JSON.stringify([taken, reporter, nowhere]).includes(token));
      }
    });

    it("says plainly when GitLab dropped the mirror fields (no Premium), and does not manage a mirror that is not there", async () => {
      const { api, creds, ada } = await setup();
      const free = stack.gitlab.addGroup("free-tier", { premium: false });
      stack.gitlab.addGroupMember(free, ada, 40);
      const res = await api("POST", "project", { ...creds, namespaceId: free.id, projectName: "widgets" });
      assert.equal(res.status, 201);
      assert.equal(res.body.project.mirror, false);
      assert.match(res.body.warning, /ignored the pull-mirror settings: pull mirroring needs GitLab Premium or Ultimate/);
      assert.equal(res.body.link.mirrorManaged, false);
      assert.equal(stack.gitlab.project("free-tier/widgets")!.mirror, false);
      assert.equal(res.body.link.sync, "push", "the app pushes where GitLab will not pull");
    });

    it("with sync push, creates a plain private project (nothing given to GitLab to clone with), links it with push sync and pushes Bitbucket's refs", async () => {
      const { api, creds, acme, repo } = await setup();
      const git = await stack.bitbucket.git(repo);
      await git.commit({ branch: "main" });
      await git.commit({ branch: "release" });
      const minted = stack.bitbucket.accessTokens().length;
      const res = await api("POST", "project", { ...creds, namespaceId: acme.id, projectName: "widgets", sync: "push" });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.link.sync, "push");
      assert.equal(res.body.project.mirror, false);
      assert.equal(res.body.warning, undefined);
      const project = stack.gitlab.project("acme/widgets")!;
      assert.equal(project.importUrl, undefined, "no clone URL, so no Bitbucket token, went to GitLab");
      assert.equal(project.mirror, false);
      const gitlabGit = await stack.gitlab.git(project);
      const asObject = (m: Map<string, string>) => Object.fromEntries([...m].sort());
      await eventually(
        async () => JSON.stringify(asObject(await gitlabGit.refs())) === JSON.stringify(asObject(await git.refs())),
        60_000,
        50,
      );
      await eventually(() => stack.gitlab.pipelines(project).length >= 2, 30_000);
      assert.deepEqual(
        stack.gitlab
          .pipelines(project)
          .map((p) => p.ref)
          .sort(),
        ["main", "release"],
      );
      assert.ok(stack.bitbucket.accessTokens().length > minted, "the app read Bitbucket with a token of its own");
    });

    it("with workspace defaults, creates the project with the workspace's token (no token in the body)", async () => {
      const { api, adaToken, acme, tenant } = await setup();
      const page = await (await fetch(stack.bitbucket.workspacePageUrl(tenant))).text();
      const ws = /<meta name="token" content="([^"]+)"/.exec(page)![1]!;
      assert.equal(
        (await call(ws, "PUT", "/api/workspace/defaults", { gitlabUrl: stack.gitlab.url, token: adaToken })).status,
        200,
      );
      const namespaces = await api("POST", "gitlab/namespaces", {});
      assert.deepEqual(
        namespaces.body.namespaces.map((n: any) => n.fullPath),
        ["ada", "acme"],
      );
      const res = await api("POST", "project", { namespaceId: acme.id, projectName: "Widgets CI" });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.project.path, "acme/widgets-ci");
      assert.equal(res.body.link.tokenSource, "workspace");
    });
  });

  describe("renewing the mirror's credentials before each trigger", () => {
    async function created() {
      const s = await setup();
      const res = await s.api("POST", "project", { ...s.creds, namespaceId: s.acme.id, projectName: "widgets" });
      assert.equal(res.status, 201);
      return { ...s, project: stack.gitlab.project("acme/widgets")! };
    }

    /** Asks GitLab for a mirror update directly (as its own schedule would) and waits for its outcome. */
    async function updateFromGitLab(project: SimProject, token: string) {
      const before = project.mirrorState.lastUpdateAt;
      const res = await fetch(`${stack.gitlab.url}/api/v4/projects/${project.id}/mirror/pull`, {
        method: "POST",
        headers: { "PRIVATE-TOKEN": token },
      });
      assert.equal(res.status, 200);
      await eventually(() => project.mirrorState.lastUpdateAt !== before && project.mirrorState.updateStatus !== "started");
      return project.mirrorState;
    }

    it("the GitLab simulator refuses an expired token; after the app's refresh, the mirror update on push succeeds", async () => {
      const { tenant, repo, project, adaToken } = await created();
      const first = tokenInClone(project);
      stack.bitbucket.expireAccessTokens();
      const failed = await updateFromGitLab(project, adaToken);
      assert.equal(failed.updateStatus, "failed");
      assert.match(failed.lastError!, /Authentication failed/);
      assert.ok(!failed.lastError!.includes(first), "git's message does not echo the token");

      const seen = stack.gitlab.apiCalls.length;
      await stack.bitbucket.push(tenant, repo, { branch: "main" });
      await eventually(() => project.mirrorState.updateStatus === "finished" && project.mirrorState.lastError === null);
      const renewed = tokenInClone(project);
      assert.notEqual(renewed, first);
      assert.ok(stack.bitbucket.isValidAccessToken(renewed));
      const calls = stack.gitlab.apiCalls.slice(seen).map((c) => `${c.method} ${c.path.replace(/^\/api\/v4/, "")} ${c.status}`);
      const put = calls.indexOf(`PUT /projects/${project.id}/mirror/pull 200`);
      const trigger = calls.indexOf(`POST /projects/${project.id}/mirror/pull 200`);
      assert.ok(put >= 0 && trigger > put, `credentials first, then the trigger: ${calls.join(", ")}`);
      const link = await eventually(async () => {
        const l = await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid);
        return l?.mirrorState?.lastSuccessfulUpdateAt ? l : null;
      });
      assert.equal(link.mirrorState!.triggerError, null);
    });

    it("renews the credentials of a mirror idle for 90 minutes, so GitLab's own scheduled pulls keep working", async () => {
      const { tenant, repo, project, adaToken } = await created();
      const triggered = async () =>
        (await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid))?.mirrorState?.checkedAt;
      assert.equal(await stack.app.reconciler.renewMirrorCredentials(), 1, "a mirror never triggered counts as idle");
      await eventually(triggered);
      assert.equal(await stack.app.reconciler.renewMirrorCredentials(), 0, "a mirror triggered just now is not idle");

      const first = tokenInClone(project);
      stack.bitbucket.expireAccessTokens();
      assert.equal(await stack.app.reconciler.renewMirrorCredentials(Date.now() + 91 * 60_000), 1);
      await eventually(() => tokenInClone(project) !== first && stack.bitbucket.isValidAccessToken(tokenInClone(project)));
      const scheduled = await updateFromGitLab(project, adaToken);
      assert.equal(scheduled.updateStatus, "finished");
      assert.equal(scheduled.lastError, null);
    });

    it("on a GitLab before 17.6 (no PUT mirror/pull), renews through the project's import_url", async () => {
      const { tenant, repo, project } = await created();
      const first = tokenInClone(project);
      stack.gitlab.legacyMirrorApi = true;
      stack.bitbucket.expireAccessTokens();
      const seen = stack.gitlab.apiCalls.length;
      await stack.bitbucket.push(tenant, repo, { branch: "main" });
      await eventually(() => project.mirrorState.updateStatus === "finished" && tokenInClone(project) !== first);
      assert.ok(stack.bitbucket.isValidAccessToken(tokenInClone(project)));
      const calls = stack.gitlab.apiCalls.slice(seen).map((c) => `${c.method} ${c.path.replace(/^\/api\/v4/, "")} ${c.status}`);
      assert.ok(calls.includes(`PUT /projects/${project.id}/mirror/pull 404`), calls.join(", "));
      assert.ok(calls.includes(`PUT /projects/${project.id} 200`), calls.join(", "));
    });

    it("when GitLab refuses the new credentials, no trigger is sent and the settings page sees why", async () => {
      const { tenant, repo, project } = await created();
      stack.gitlab.injectFaults({ status: 403, body: { message: "403 Forbidden" } }, 1, /\/mirror\/pull$/);
      await stack.bitbucket.push(tenant, repo, { branch: "main" });
      const dead = await eventually(async () => (await stack.app.deps.outbox.dead()).find((i) => i.kind === "mirror-trigger"));
      assert.match(dead.lastError ?? "", /Renewing the mirror's Bitbucket credentials: GitLab 403/);
      assert.equal(stack.gitlab.mirrorTriggers(project).length, 0, "no trigger after a failed renewal");
      const link = (await stack.app.deps.links.forRepository(tenant.clientKey, repo.uuid))!;
      assert.match(link.mirrorState?.triggerError ?? "", /Renewing the mirror's Bitbucket credentials/);
    });

    it("a project linked by hand (not created by the app) is triggered as before: nothing is minted", async () => {
      stack = await Stack.start();
      const { tenant, repo, project } = await stack.linkedRepository();
      installTokens = stack.bitbucket.accessTokens().length;
      await stack.bitbucket.push(tenant, repo, { branch: "main" });
      await eventually(() => stack.gitlab.mirrorTriggers(project).length === 1);
      assert.equal(mintedSinceInstall().length, 0);
      assert.ok(!stack.gitlab.apiCalls.some((c) => c.method === "PUT"));
    });
  });
});

async function pendingRows(stack: Stack): Promise<number> {
  const [row] = await stack.app.deps.sequelize.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM outbox", {
    type: QueryTypes.SELECT,
  });
  return Number(row!.n);
}

async function dumpTables(stack: Stack): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const table of ["tenants", "links", "outbox", "deliveries", "posted_statuses", "workspace_defaults", "link_events"]) {
    out.push(await stack.app.deps.sequelize.query(`SELECT * FROM ${table}`, { type: QueryTypes.SELECT }));
  }
  return out;
}

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { BareRepo } from "../../sim/git-http/bare-repo";
import { Stack } from "../support/stack";

const run = promisify(execFile);

/** Runs git with Basic credentials passed in the environment, as the app does. */
async function git(args: string[], user: string, password: string): Promise<{ code: number; out: string }> {
  const header = `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: header,
  };
  try {
    const r = await run("git", args, { env });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe("the simulators speak git", () => {
  let stack: Stack;
  let dir: string;
  beforeEach(async () => {
    stack = await Stack.start();
    dir = mkdtempSync(path.join(tmpdir(), "git-sims-"));
  });
  afterEach(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function bitbucketRepoWithToken() {
    const tenant = await stack.install();
    const repo = stack.bitbucket.addRepository(tenant, "widgets");
    const other = stack.bitbucket.addRepository(tenant, "gadgets");
    const bb = await stack.bitbucket.git(repo);
    const main = await bb.commit({ branch: "main" });
    const installation = (await stack.app.deps.findInstallation(tenant.clientKey))!;
    const { token } = await installation.repositoryToken(repo.uuid);
    return { repo, other, main, token, url: `${stack.bitbucket.baseUrl}/${repo.fullName}.git` };
  }

  it("Bitbucket serves a clone to x-token-auth with a token bound to the repository, and refuses pushes and other repositories", async () => {
    const { other, main, token, url } = await bitbucketRepoWithToken();
    const cloned = await git(["clone", "--bare", url, path.join(dir, "a.git")], "x-token-auth", token);
    assert.equal(cloned.code, 0, cloned.out);
    assert.equal((await run("git", ["-C", path.join(dir, "a.git"), "rev-parse", "main"])).stdout.trim(), main);
    const wrong = await git(["ls-remote", url], "x-token-auth", "not-a-token");
    assert.notEqual(wrong.code, 0);
    const elsewhere = await git(["ls-remote", `${stack.bitbucket.baseUrl}/${other.fullName}.git`], "x-token-auth", token);
    assert.notEqual(elsewhere.code, 0);
    const push = await git(["-C", path.join(dir, "a.git"), "push", url, "main:refs/heads/copy"], "x-token-auth", token);
    assert.notEqual(push.code, 0);
  });

  it("GitLab takes a push from a Developer, starts pipelines for the first 4 ref updates only, and none with ci.skip", async () => {
    const { token, url } = await bitbucketRepoWithToken();
    const user = stack.gitlab.addUser("bot");
    const glToken = stack.gitlab.addToken(user, { scopes: ["write_repository"] });
    const project = stack.gitlab.addProject("acme/widgets");
    stack.gitlab.addMember(project, user, 30);
    const cache = path.join(dir, "c.git");
    assert.equal((await git(["clone", "--bare", url, cache], "x-token-auth", token)).code, 0);
    for (const b of ["b1", "b2", "b3", "b4", "b5", "b6"]) await run("git", ["-C", cache, "branch", b, "main"]);
    const gitlabUrl = `${stack.gitlab.url}/acme/widgets.git`;
    const pushed = await git(["-C", cache, "push", gitlabUrl, "refs/heads/*:refs/heads/*"], "oauth2", glToken);
    assert.equal(pushed.code, 0, pushed.out);
    assert.equal(stack.gitlab.pipelines(project).length, 4);
    await run("git", ["-C", cache, "tag", "v1", "main"]);
    const skipped = await git(["-C", cache, "push", "-o", "ci.skip", gitlabUrl, "refs/tags/v1"], "oauth2", glToken);
    assert.equal(skipped.code, 0, skipped.out);
    assert.equal(stack.gitlab.pipelines(project).length, 4);
    assert.deepEqual(stack.gitlab.pushes(project)[1]!.options, ["ci.skip"]);
    assert.equal((await (await stack.gitlab.git(project)).refs()).size, 8);
  });

  it("GitLab counts the bytes of each push's request body: the pack and the ref commands the pusher sent", async () => {
    const { token, url } = await bitbucketRepoWithToken();
    const user = stack.gitlab.addUser("bot");
    const glToken = stack.gitlab.addToken(user, { scopes: ["write_repository"] });
    const project = stack.gitlab.addProject("acme/widgets");
    stack.gitlab.addMember(project, user, 30);
    const cache = path.join(dir, "c.git");
    assert.equal((await git(["clone", "--bare", url, cache], "x-token-auth", token)).code, 0);
    const gitlabUrl = `${stack.gitlab.url}/acme/widgets.git`;
    assert.equal((await git(["-C", cache, "push", gitlabUrl, "main"], "oauth2", glToken)).code, 0);
    // 300 KB that does not compress, so git's pack must carry at least that much.
    const noise = randomBytes(300 * 1024);
    await new BareRepo(cache).commit({ branch: "main", files: { "noise.bin": noise } });
    assert.equal((await git(["-C", cache, "push", gitlabUrl, "main"], "oauth2", glToken)).code, 0);
    const [first, second] = stack.gitlab.pushes(project);
    assert.ok(first!.requestBytes > 0);
    assert.ok(second!.requestBytes > 300 * 1024, `${second!.requestBytes} bytes`);
    assert.ok(second!.requestBytes < 400 * 1024, `${second!.requestBytes} bytes`);
  });

  it("GitLab refuses a push from a Reporter and any git call with a revoked token", async () => {
    const { token, url } = await bitbucketRepoWithToken();
    const user = stack.gitlab.addUser("reader");
    const glToken = stack.gitlab.addToken(user);
    const project = stack.gitlab.addProject("acme/widgets");
    stack.gitlab.addMember(project, user, 20);
    const cache = path.join(dir, "c.git");
    await git(["clone", "--bare", url, cache], "x-token-auth", token);
    const gitlabUrl = `${stack.gitlab.url}/acme/widgets.git`;
    assert.equal((await git(["ls-remote", gitlabUrl], "reader", glToken)).code, 0);
    assert.notEqual((await git(["-C", cache, "push", gitlabUrl, "main"], "reader", glToken)).code, 0);
    stack.gitlab.revokeToken(glToken);
    assert.notEqual((await git(["ls-remote", gitlabUrl], "reader", glToken)).code, 0);
  });

  it("GitLab creates a pipeline through the API on an existing branch or tag, and answers Reference not found otherwise", async () => {
    const user = stack.gitlab.addUser("dev");
    const glToken = stack.gitlab.addToken(user);
    const project = stack.gitlab.addProject("acme/widgets");
    stack.gitlab.addMember(project, user, 30);
    const sha = await (await stack.gitlab.git(project)).commit({ branch: "main" });
    const create = (ref: string) =>
      fetch(`${stack.gitlab.url}/api/v4/projects/${project.id}/pipeline`, {
        method: "POST",
        headers: { "PRIVATE-TOKEN": glToken, "Content-Type": "application/json" },
        body: JSON.stringify({ ref }),
      });
    const ok = await create("main");
    assert.equal(ok.status, 201);
    assert.equal(((await ok.json()) as { sha: string }).sha, sha);
    const missing = await create("bitbucket/pr-1");
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /Reference not found/);
  });
});

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { drained, Stack } from "../support/stack";
import { pushLinkedRepository } from "../support/push-link";

/** The command lines of every process that runs git, sampled until `stop()`. */
function watchGitCommandLines() {
  const seen = new Set<string>();
  let running = true;
  const sample = () => {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ");
        if (/\bgit\b/.test(cmdline)) seen.add(cmdline);
      } catch {
        // the process ended meanwhile
      }
    }
    if (running) setTimeout(sample, 1);
  };
  sample();
  return {
    stop: () => {
      running = false;
      return [...seen];
    },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

describe("push sync keeps tokens secret", function () {
  this.timeout(120_000);
  let stack: Stack;
  beforeEach(async () => (stack = await Stack.start()));
  afterEach(async () => stack.stop());

  it("no token is in any git process's arguments, in any file of the cache, or in the logs", async () => {
    const s = await pushLinkedRepository(stack);
    const watch = watchGitCommandLines();
    await stack.bitbucket.pushed(s.tenant, s.repo, { branch: "main" });
    await drained(stack);
    await s.bitbucketGit.commit({ branch: "main" });
    await stack.bitbucket.pushed(s.tenant, s.repo, { branch: "main" });
    await drained(stack);
    const commandLines = watch.stop();

    const bitbucketTokens = stack.bitbucket.accessTokens().map((t) => t.token);
    assert.ok(bitbucketTokens.length > 0, "the app read Bitbucket with an access token");
    const secrets = [s.gitlabToken, ...bitbucketTokens].flatMap((t) => [
      t,
      encodeURIComponent(t),
      Buffer.from(`x-token-auth:${t}`).toString("base64"),
      Buffer.from(`gitlab-ci-for-bitbucket:${t}`).toString("base64"),
    ]);
    assert.ok(
      commandLines.some((c) => c.includes(" push ") || c.includes(" fetch ")),
      "the app's git commands were seen",
    );
    for (const line of commandLines) for (const secret of secrets) assert.ok(!line.includes(secret), `token in argv: ${line}`);

    const cache = stack.app.deps.config.gitCache.dir;
    const files = filesUnder(cache);
    assert.ok(files.some((f) => f.endsWith("config")));
    for (const file of files) {
      const text = readFileSync(file, "latin1");
      for (const secret of secrets) assert.ok(!text.includes(secret), `token in ${file}`);
    }

    const logs = stack.logs.join("\n");
    for (const secret of secrets) assert.ok(!logs.includes(secret), "token in the logs");
  });
});

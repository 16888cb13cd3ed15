import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppProcess, freePort } from "../support/app-process";

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs `scripts/sandbox.ts` with these arguments; resolves with its exit code and output (killed after 30 s). */
function sandbox(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "scripts", "sandbox.ts"), ...args],
      { cwd: ROOT, timeout: 30_000, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn" } },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

// Issue 15, item 11: what a developer meets first.
describe("development tools", function () {
  this.timeout(60_000);

  it("npm run sandbox -- --help prints the usage and exits, without starting the loop", async () => {
    const { code, stdout } = await sandbox(["--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: npm run sandbox \[-- --interactive \| --forge \| --help\]/);
    assert.match(stdout, /--interactive {2}keep it all running/);
    assert.doesNotMatch(stdout, /installed into workspace|simulator\)/, "the loop ran");
  });

  it("npm run sandbox names the pipeline's state and address at step 4, beside the counts", async () => {
    const { code, stdout } = await sandbox([]);
    assert.equal(code, 0, stdout);
    assert.match(
      stdout,
      /^4\. GitLab pipeline #(\d+) on main: success {2}http:\/\/127\.0\.0\.1:\d+\/acme\/widgets\/-\/pipelines\/\1$/m,
    );
    assert.match(stdout, /^ {3}\(GitLab mirror updates: \d+, webhook deliveries to the app: \d+\)$/m);
    assert.match(stdout, /The pushed commit is green on Bitbucket\./);
  });

  it("an unknown sandbox option is refused with the usage, exit code 2", async () => {
    const { code, stdout, stderr } = await sandbox(["--interactve"]);
    assert.equal(code, 2);
    assert.match(stderr, /^Unknown option: --interactve\n\nUsage: npm run sandbox/);
    assert.equal(stdout, "");
  });

  it("the app logs readable lines in development, and JSON lines when LOG_FORMAT=json", async () => {
    const env = { NODE_ENV: "development", DATA_DIR: mkdtempSync(path.join(tmpdir(), "devlog-")) };
    const pretty = await AppProcess.start(env, await freePort());
    await pretty.stop();
    assert.match(pretty.output.join(""), /^\d\d:\d\d:\d\d\.\d{3} WARN +DEVELOPMENT MODE: /m);
    assert.doesNotMatch(pretty.output.join(""), /^\{"level"/m);

    const json = await AppProcess.start({ ...env, LOG_FORMAT: "json" }, await freePort());
    await json.stop();
    assert.match(json.output.join(""), /^\{"level":40,.*"msg":"DEVELOPMENT MODE: /m);
  });
});

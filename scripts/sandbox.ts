/**
 * `npm run sandbox`: the whole loop on this machine, no Bitbucket or GitLab account needed. Starts the
 * app on a throwaway SQLite file between the Bitbucket and GitLab simulators, installs it into a
 * workspace, links a repository, pushes, lets GitLab run a pipeline, and prints the statuses Bitbucket
 * would show on the commit.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { startRuntime } from "../src/runtime";
import { BitbucketSim } from "../test/support/bitbucket-sim";
import { GitLabSim, type SimProject } from "../test/support/gitlab-sim";

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "gl4bb-sandbox-"));
  const bitbucket = await BitbucketSim.start();
  const gitlab = await GitLabSim.start({ pullMirrorIntervalSeconds: 300 });
  const config = loadConfig({
    NODE_ENV: "development",
    PORT: "0",
    DATABASE_URL: `sqlite:${path.join(dir, "app.sqlite")}`,
    DATA_DIR: dir,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    OUTBOX_POLL_MS: "200",
  });
  const app = await startRuntime(config, createLogger(config.logLevel));
  say(`app        ${app.url}   (descriptor: ${app.url}/atlassian-connect.json)`);
  say(`bitbucket  ${bitbucket.baseUrl}   (simulator)`);
  say(`gitlab     ${gitlab.url}   (simulator)`);

  try {
    // 1. A workspace admin installs the app.
    const installed = await bitbucket.install(app.url, { workspaceSlug: "acme-corp" });
    if (installed.status !== 204) throw new Error(`install answered ${installed.status}: ${installed.body}`);
    const tenant = installed.tenant;
    say(`\n1. installed into workspace acme-corp (clientKey ${tenant.clientKey})`);

    // 2. GitLab has a "CI/CD for external repository" project mirroring the repository.
    const repo = bitbucket.addRepository(tenant, "widgets");
    const ada = gitlab.addUser("ada", "Ada Lovelace");
    const gitlabToken = gitlab.addToken(ada);
    const project = gitlab.addProject("acme/widgets", { mirror: true });
    gitlab.addMember(project, ada, 40);
    // When GitLab really pulls the mirror, it runs a pipeline for every branch head that moved.
    const built = new Map<string, string>();
    gitlab.onMirrorUpdate = (p: SimProject) => {
      for (const [branch, sha] of repo.branches) {
        if (built.get(branch) === sha) continue;
        built.set(branch, sha);
        void runPipeline(gitlab, p, sha, branch);
      }
    };

    // 3. A repository admin opens the settings page and links the project.
    const page = await fetch(bitbucket.pageUrl(tenant, repo));
    const settingsToken = /<meta name="token" content="([^"]+)"/.exec(await page.text())?.[1];
    if (page.status !== 200 || !settingsToken) throw new Error(`settings page answered ${page.status}`);
    const linked = await fetch(`${app.url}/api/repositories/${encodeURIComponent(repo.uuid)}/link`, {
      method: "PUT",
      headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ gitlabUrl: gitlab.url, project: "acme/widgets", token: gitlabToken, statusMode: "both" }),
    });
    const link = (await linked.json()) as { link: { projectPath: string }; webhook: { url: string; registered: boolean } };
    if (linked.status !== 200) throw new Error(`linking answered ${linked.status}: ${JSON.stringify(link)}`);
    say(
      `2. linked ${repo.fullName} to GitLab ${link.link.projectPath}; webhook ${link.webhook.registered ? "registered" : "NOT registered"} at ${link.webhook.url}`,
    );

    // 4. A developer pushes; Bitbucket sends repo:push; the app asks GitLab to pull the mirror now.
    const push = await bitbucket.push(tenant, repo, { branch: "main" });
    say(`3. pushed ${push.sha.slice(0, 12)} to main; the app answered ${push.status}`);

    // 5. GitLab runs the pipeline and calls the app's webhook; the app posts statuses as itself.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const statuses = bitbucket.statuses({ sha: push.sha });
      if (statuses.length >= 3 && statuses.every((s) => s.state === "SUCCESSFUL")) break;
      await sleep(100);
    }
    say(
      `4. GitLab mirror updates: ${gitlab.mirrorTriggers(project).filter((t) => t.outcome === "started").length}, hook deliveries: ${gitlab.deliveries.length}`,
    );
    say(
      `\nStatuses Bitbucket shows on ${repo.fullName} @ ${push.sha.slice(0, 12)} (each accepted by the simulator's JWT check):`,
    );
    const rows = bitbucket.statuses({ sha: push.sha });
    for (const s of rows)
      say(`  ${s.state.padEnd(11)} ${s.key.padEnd(40)} ${s.name}  — ${s.description}  [refname ${s.refname ?? "-"}]`);
    const calls = bitbucket.apiCalls.filter((c) => c.path.includes("/statuses/build"));
    say(`\nBitbucket API calls by the app: ${calls.length}, refused: ${calls.filter((c) => c.status >= 400).length}`);
    const ok = rows.some((s) => s.key === `gitlab:${project.id}:main` && s.state === "SUCCESSFUL");
    say(ok ? "\nThe pushed commit is green on Bitbucket." : "\nThe pipeline status did not arrive in time.");
    process.exitCode = ok ? 0 : 1;
  } finally {
    await app.stop(2_000);
    await Promise.all([bitbucket.close(), gitlab.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A two-job pipeline going through GitLab's states, with a hook delivered at each step. */
async function runPipeline(gitlab: GitLabSim, project: SimProject, sha: string, ref: string): Promise<void> {
  const pipeline = gitlab.createPipeline(project, {
    sha,
    ref,
    jobs: [
      { name: "build", stage: "build" },
      { name: "test", stage: "test" },
    ],
  });
  const hook = () => gitlab.deliver(project, "Pipeline Hook", gitlab.pipelineHookPayload(pipeline));
  const job = (i: number) => gitlab.deliver(project, "Job Hook", gitlab.jobHookPayload(pipeline.jobs[i]!));
  gitlab.setPipelineStatus(pipeline, "pending");
  await hook();
  for (let i = 0; i < pipeline.jobs.length; i++) {
    gitlab.setJobStatus(pipeline.jobs[i]!, "running");
    gitlab.setPipelineStatus(pipeline, "running");
    await job(i);
    await hook();
    await sleep(150);
    gitlab.setJobStatus(pipeline.jobs[i]!, "success");
    await job(i);
  }
  gitlab.setPipelineStatus(pipeline, "success");
  await hook();
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

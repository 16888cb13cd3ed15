/**
 * `npm run sandbox`: the whole loop on this machine, no Bitbucket or GitLab account needed. Starts the
 * app on a throwaway SQLite file between the Bitbucket and GitLab simulators, installs it into a
 * workspace, links a repository, pushes, lets GitLab run a pipeline, and prints the statuses Bitbucket
 * would show on the commit.
 *
 * `npm run sandbox -- --interactive`: the same world, left running until Ctrl-C, with a local page that
 * frames the repository settings page as Bitbucket does, so a person can link, push and unlink by hand.
 *
 * `npm run sandbox -- --forge`: the same loop through the Forge door, with the Forge simulator
 * (scripts/sandbox-forge.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { startRuntime, type Runtime } from "../src/runtime";
import { BitbucketSim, type SimRepo, type SimTenant } from "../sim/bitbucket-sim";
import { ForgeSim } from "../sim/forge-sim";
import { GitLabSim, type SimProject } from "../sim/gitlab-sim";
import { hostPage } from "../sim/host/bitbucket-frame";
import { HostServer } from "../sim/host/host-server";
import { sandboxPanel } from "../sim/host/sandbox-panel";
import { runPipelinesOnMirrorUpdate } from "../sim/host/simulated-ci";
import { forgeLoop } from "./sandbox-forge";

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const interactive = process.argv.includes("--interactive");
const forgeDoor = process.argv.includes("--forge");

const USAGE = `Usage: npm run sandbox [-- --interactive | --forge | --help]

The whole loop on this machine, no Bitbucket or GitLab account needed: starts the app between a
Bitbucket simulator and a GitLab simulator, installs it, links a repository, pushes, runs a pipeline
and prints the statuses Bitbucket would show.

  --interactive  keep it all running and print the URL of a page that frames the repository's settings
                 page as Bitbucket does (link, push and unlink by hand); Ctrl-C stops it
  --forge        the same loop through the Forge door: the Forge simulator installs the app, the Forge
                 settings API links the repository, a Forge push event starts it
  --help         print this and exit

Environment: PORT (the app's port, default any free one), SANDBOX_PORT (the framing page's, interactive),
LOG_LEVEL (default warn).
`;

interface World {
  app: Runtime;
  bitbucket: BitbucketSim;
  gitlab: GitLabSim;
  tenant: SimTenant;
  repo: SimRepo;
  gitlabToken: string;
  project: SimProject;
  ci: { fail?: boolean; stepMs?: number };
}

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) return void process.stdout.write(USAGE);
  const unknown = process.argv.slice(2).filter((a) => a !== "--interactive" && a !== "--forge");
  if (unknown.length) {
    process.stderr.write(`Unknown option: ${unknown.join(" ")}\n\n${USAGE}`);
    return void (process.exitCode = 2);
  }
  if (forgeDoor && interactive) throw new Error("--forge runs the whole loop only; --interactive frames the Connect page");
  const dir = mkdtempSync(path.join(tmpdir(), "gl4bb-sandbox-"));
  const bitbucket = await BitbucketSim.start();
  const gitlab = await GitLabSim.start({ pullMirrorIntervalSeconds: interactive ? 0 : 300 });
  // GitLab clones from Bitbucket on every mirror update: a project the app creates must carry a valid,
  // unexpired access token minted by the app.
  gitlab.verifyMirrorCredentials = (url) => (url && !new URL(url).username ? null : bitbucket.checkCloneUrl(url));
  gitlab.mirrorSourceFor = (projectPath) => bitbucket.cloneUrlOf(projectPath.split("/").pop()!);
  const forge = forgeDoor ? await ForgeSim.start({ bitbucket }) : null;
  const config = loadConfig({
    NODE_ENV: "development",
    PORT: process.env.PORT ?? "0",
    DATABASE_URL: `sqlite:${path.join(dir, "app.sqlite")}`,
    DATA_DIR: dir,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    OUTBOX_POLL_MS: "200",
    ...(forge ? { FORGE_APP_ID: forge.appId, FORGE_JWKS_URL: forge.jwksUrl } : {}),
  });
  const app = await startRuntime(config, createLogger(config.logLevel, undefined, config.logFormat));
  say(`app        ${app.url}   (descriptor: ${app.url}/atlassian-connect.json)`);
  say(`bitbucket  ${bitbucket.baseUrl}   (simulator)`);
  say(`gitlab     ${gitlab.url}   (simulator)`);
  if (forge) say(`forge      ${forge.jwksUrl}   (simulator: signs invocation tokens, issues system tokens)`);
  const stop = async () => {
    await app.stop(2_000);
    await Promise.all([bitbucket.close(), gitlab.close(), forge?.close()]);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (forge) {
      const ok = await forgeLoop(app, bitbucket, gitlab, forge);
      say(ok ? "\nThe pushed commit is green on Bitbucket, posted by the Forge app." : "\nThe status did not arrive in time.");
      process.exitCode = ok ? 0 : 1;
      return await stop();
    }
    const world = await setUp(app, bitbucket, gitlab);
    if (interactive) return await clickThrough(world, stop);
    await wholeLoop(world);
  } catch (e) {
    await stop();
    throw e;
  }
  await stop();
}

/** A workspace with the app installed, a repository, and Ada's GitLab projects mirroring it. */
async function setUp(app: Runtime, bitbucket: BitbucketSim, gitlab: GitLabSim): Promise<World> {
  const installed = await bitbucket.install(app.url, { workspaceSlug: "acme-corp" });
  if (installed.status !== 204) throw new Error(`install answered ${installed.status}: ${installed.body}`);
  const tenant = installed.tenant;
  say(`\n1. installed into workspace acme-corp (clientKey ${tenant.clientKey})`);

  const repo = bitbucket.addRepository(tenant, "widgets");
  const ada = gitlab.addUser("ada", "Ada Lovelace");
  const gitlabToken = gitlab.addToken(ada);
  const project = gitlab.addProject("acme/widgets", { mirror: true });
  gitlab.addMember(project, ada, 40);
  if (interactive) {
    // Projects that each show one thing the settings page must say plainly.
    gitlab.addMember(gitlab.addProject("acme/widgets-shared", { mirror: true }), ada, 30);
    gitlab.addMember(gitlab.addProject("acme/widgets-free", { mirror: true, premium: false }), ada, 40);
    gitlab.addMember(gitlab.addProject("acme/widgets-plain", { mirror: false }), ada, 40);
    // Namespaces for "Create a new GitLab project": Ada may create projects in "acme" and in her own.
    gitlab.addGroupMember(gitlab.addGroup("acme"), ada, 30);
    gitlab.addGroupMember(gitlab.addGroup("free-tier", { premium: false }), ada, 40);
  }
  // When GitLab really pulls the mirror, it runs a pipeline for every branch head that moved.
  const ci = { stepMs: interactive ? 1_500 : 150 };
  runPipelinesOnMirrorUpdate(gitlab, repo, ci);
  return { app, bitbucket, gitlab, tenant, repo, gitlabToken, project, ci };
}

async function wholeLoop({ app, bitbucket, gitlab, tenant, repo, gitlabToken, project }: World): Promise<void> {
  // A repository admin opens the settings page and links the project.
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

  // A developer pushes; Bitbucket sends repo:push; the app asks GitLab to pull the mirror now.
  const push = await bitbucket.push(tenant, repo, { branch: "main" });
  say(`3. pushed ${push.sha.slice(0, 12)} to main; the app answered ${push.status}`);

  // GitLab runs the pipeline and calls the app's webhook; the app posts statuses as itself.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const statuses = bitbucket.statuses({ sha: push.sha });
    if (statuses.length >= 3 && statuses.every((s) => s.state === "SUCCESSFUL")) break;
    await sleep(100);
  }
  const pipeline = gitlab
    .pipelines(project)
    .filter((p) => p.sha === push.sha)
    .sort((a, b) => b.id - a.id)[0];
  say(
    pipeline
      ? `4. GitLab pipeline #${pipeline.id} on ${pipeline.ref}: ${pipeline.status}  ${project.webUrl}/-/pipelines/${pipeline.id}`
      : `4. GitLab ran no pipeline for ${push.sha.slice(0, 12)} (yet)`,
  );
  say(
    `   (GitLab mirror updates: ${gitlab.mirrorTriggers(project).filter((t) => t.outcome === "started").length}, webhook deliveries to the app: ${gitlab.deliveries.length})`,
  );
  say(`\nStatuses Bitbucket shows on ${repo.fullName} @ ${push.sha.slice(0, 12)} (each accepted by the simulator's JWT check):`);
  const rows = bitbucket.statuses({ sha: push.sha });
  for (const s of rows)
    say(`  ${s.state.padEnd(11)} ${s.key.padEnd(40)} ${s.name}  — ${s.description}  [refname ${s.refname ?? "-"}]`);
  const calls = bitbucket.apiCalls.filter((c) => c.path.includes("/statuses/build"));
  say(`\nBitbucket API calls by the app: ${calls.length}, refused: ${calls.filter((c) => c.status >= 400).length}`);
  const ok = rows.some((s) => s.key === `gitlab:${project.id}:main` && s.state === "SUCCESSFUL");
  say(ok ? "\nThe pushed commit is green on Bitbucket." : "\nThe pipeline status did not arrive in time.");
  process.exitCode = ok ? 0 : 1;
}

/** Serves a Bitbucket-like page framing the settings page, with push buttons, until Ctrl-C. */
async function clickThrough(world: World, stop: () => Promise<void>): Promise<void> {
  const { bitbucket, gitlab, tenant, repo, gitlabToken, ci } = world;
  const push = async (branch: string, fail: boolean) => {
    ci.fail = fail;
    const r = await bitbucket.push(tenant, repo, { branch });
    return `Pushed ${r.sha.slice(0, 8)} to ${branch}; the app answered ${r.status}.${fail ? " Its pipeline will fail." : ""}`;
  };
  const host = await HostServer.start({
    port: Number(process.env.SANDBOX_PORT ?? 0),
    routes: (app) => {
      app.post("/sandbox/push", express.json(), (req, res) => {
        const branch = typeof req.body?.branch === "string" ? req.body.branch : "main";
        push(branch, req.body?.fail === true).then(
          (said) => res.json({ said }),
          (e: Error) => res.json({ said: e.message }),
        );
      });
      app.get("/sandbox/statuses", (_req, res) => res.json(bitbucket.statuses({ repoUuid: repo.uuid }).slice(-12).reverse()));
    },
  });
  const projects = ["acme/widgets", "acme/widgets-shared", "acme/widgets-free", "acme/widgets-plain"];
  // A fresh page JWT at every load: Bitbucket's expire after 3 minutes.
  const url = host.serve(
    () =>
      hostPage(bitbucket.pageUrl(tenant, repo), repo.fullName, {
        frameHeight: "max(900px, calc(100vh - 120px))",
        panel: sandboxPanel({ gitlabUrl: gitlab.url, token: gitlabToken, projects }),
      }),
    `/${repo.fullName}/admin/gitlab-ci`,
  );
  const workspaceUrl = host.serve(
    () =>
      hostPage(bitbucket.workspacePageUrl(tenant), tenant.workspace.slug, {
        settings: "workspace",
        frameHeight: "max(700px, calc(100vh - 120px))",
      }),
    `/${tenant.workspace.slug}/workspace/settings/gitlab-ci`,
  );
  say(`\nOpen ${url}`);
  say(`Workspace settings (a default GitLab address and token for every repository): ${workspaceUrl}`);
  say(
    `It frames the app's settings page for ${repo.fullName}, as Bitbucket would (all.js is not there, so the frame does not resize).`,
  );
  say(`Paste GitLab address ${gitlab.url} and token ${gitlabToken} (Ada's), then search "widgets".`);
  say(
    `Push from the page's sidebar, or type here: "p" push main, "f" push main with a failing pipeline, "b NAME" push a branch.`,
  );
  say(`Ctrl-C stops everything.`);

  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    const [cmd, arg] = chunk.trim().split(/\s+/);
    const run =
      cmd === "p" ? push("main", false) : cmd === "f" ? push("main", true) : cmd === "b" && arg ? push(arg, false) : null;
    if (run) run.then(say, (e: Error) => say(e.message));
  });
  await new Promise<void>((resolve) => process.once("SIGINT", resolve));
  say("\nstopping…");
  process.stdin.pause();
  await host.close();
  await stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

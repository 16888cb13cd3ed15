/**
 * `npm run sandbox -- --forge`: the same loop as the Connect sandbox, through the Forge door. The Forge
 * simulator installs the app (a lifecycle call with a FIT it signs and an app system token the Bitbucket
 * simulator accepts), the repository is linked through the Forge settings API (a UI call's FIT), a push
 * arrives as `avi:bitbucket:push:repository`, GitLab runs the pipeline, and the app posts the statuses
 * with the system token as a bearer token.
 */
import { randomBytes } from "node:crypto";
import type { Runtime } from "../src/runtime";
import type { BitbucketSim } from "../sim/bitbucket-sim";
import type { ForgeSim } from "../sim/forge-sim";
import type { GitLabSim } from "../sim/gitlab-sim";
import { runPipelinesOnMirrorUpdate } from "../sim/host/simulated-ci";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the loop; true when the pushed commit ends green on Bitbucket, posted by the Forge app. */
export async function forgeLoop(
  app: Runtime,
  bitbucket: BitbucketSim,
  gitlab: GitLabSim,
  forge: ForgeSim,
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<boolean> {
  const install = await forge.install(app.url);
  if (install.status !== 200) throw new Error(`the lifecycle call answered ${install.status}: ${JSON.stringify(install.body)}`);
  say(`\n1. Forge installed the app in workspace {${install.workspaceId}} (installation ${install.installationId})`);

  const repo = bitbucket.addRepository({ workspace: bitbucket.workspace(`{${install.workspaceId}}`) }, "widgets");
  const ada = gitlab.addUser("ada", "Ada Lovelace");
  const gitlabToken = gitlab.addToken(ada);
  const project = gitlab.addProject("acme/widgets", { mirror: true });
  gitlab.addMember(project, ada, 40);
  runPipelinesOnMirrorUpdate(gitlab, repo, { stepMs: 150 });

  // A repository admin opens the Forge settings page: its invokeRemote calls carry a UI FIT for this repository.
  const linked = await forge.ui(
    app.url,
    install,
    "PUT",
    `/forge/api/repositories/${encodeURIComponent(repo.uuid)}/link`,
    { gitlabUrl: gitlab.url, project: "acme/widgets", token: gitlabToken, statusMode: "both" },
    { repoUuid: repo.uuid },
  );
  if (linked.status !== 200) throw new Error(`linking answered ${linked.status}: ${JSON.stringify(linked.body)}`);
  say(
    `2. linked ${repo.fullName} to GitLab ${linked.body.link.projectPath} through the Forge settings API; webhook ${linked.body.webhook.registered ? "registered" : "NOT registered"}`,
  );

  // A developer pushes; Forge delivers avi:bitbucket:push:repository (no slugs, hashes only).
  const before = repo.branches.get("main");
  const sha = randomBytes(20).toString("hex");
  repo.branches.set("main", sha);
  const event = forge.pushEvent(install, repo.uuid, { ref: "main", before, after: sha, created: !before, commits: undefined });
  const pushed = await forge.sendPush(app.url, install, event);
  say(`3. pushed ${sha.slice(0, 12)} to main; Forge's push event was answered ${pushed.status} (${pushed.body?.outcome})`);

  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const statuses = bitbucket.statuses({ sha });
    if (statuses.length >= 3 && statuses.every((s) => s.state === "SUCCESSFUL")) break;
    await sleep(100);
  }
  say(
    `4. GitLab mirror updates: ${gitlab.mirrorTriggers(project).filter((t) => t.outcome === "started").length}, hook deliveries: ${gitlab.deliveries.length}`,
  );
  say(`\nStatuses Bitbucket shows on ${repo.fullName} @ ${sha.slice(0, 12)} (each posted with the app system token):`);
  const rows = bitbucket.statuses({ sha });
  for (const s of rows) say(`  ${s.state.padEnd(11)} ${s.key.padEnd(40)} ${s.name}  — ${s.description}  [by ${s.postedBy}]`);
  const calls = bitbucket.apiCalls.filter((c) => c.path.includes("/statuses/build"));
  say(`\nBitbucket API calls by the app: ${calls.length}, refused: ${calls.filter((c) => c.status >= 400).length}`);
  const byForge = `forge-app:${forge.appId}`;
  return rows.some((s) => s.key === `gitlab:${project.id}:main` && s.state === "SUCCESSFUL" && s.postedBy === byForge);
}

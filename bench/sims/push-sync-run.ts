import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { BareRepo } from "../../sim/git-http/bare-repo";
import type { SimRepo, SimTenant } from "../../sim/bitbucket-sim";
import type { SimProject } from "../../sim/gitlab-sim";
import type { PushSyncRepoSpec, PushSyncSample, PushSyncSeriesOptions, PushSyncSeriesResult } from "./protocol";
import type { SimWorld } from "./sim-world";

const run = promisify(execFile);

interface Linked {
  tenant: SimTenant;
  repo: SimRepo;
  git: BareRepo;
  project: SimProject;
}

/** The push-sync repositories of one bench run, by name, on the simulators' side. */
export class PushSyncRepos {
  private readonly linked = new Map<string, Linked>();
  private n = 0;

  constructor(private readonly world: SimWorld) {}

  /**
   * Installs the app into a workspace of its own and, per spec, makes a Bitbucket repository (its `main`
   * taken from `sourceDir` through git's alternates: nothing copied) linked with push sync to a plain
   * GitLab project (no pull mirroring on its plan) with a bot's token, as test/support/push-link.ts does.
   */
  async setup(appUrl: string, specs: PushSyncRepoSpec[]): Promise<void> {
    const { bitbucket, gitlab } = this.world;
    const installed = await bitbucket.install(appUrl, { workspaceSlug: "push-sync" });
    if (installed.status !== 204) throw new Error(`install failed: ${installed.status} ${installed.body}`);
    const tenant = installed.tenant;
    for (const spec of specs) {
      const repo = bitbucket.addRepository(tenant, `bench-${spec.name}`);
      const git = await bitbucket.git(repo);
      if (spec.sourceDir) {
        writeFileSync(path.join(git.dir, "objects", "info", "alternates"), `${path.join(spec.sourceDir, "objects")}\n`);
        const head = (await run("git", ["-C", spec.sourceDir, "rev-parse", "refs/heads/main"])).stdout.trim();
        await git.setRef("refs/heads/main", head);
      } else {
        await git.commit({ branch: "main", files: { "README.md": "# bench\n" } });
      }
      const user = gitlab.addUser(`bot-${spec.name}`);
      const token = gitlab.addToken(user, { scopes: ["api", "write_repository"] });
      const project = gitlab.addProject(`push-sync/bench-${spec.name}`, { premium: false });
      gitlab.addMember(project, user, 40);
      const page = await fetch(bitbucket.pageUrl(tenant, repo));
      const html = await page.text();
      const settingsToken = /<meta name="token" content="([^"]+)"/.exec(html)?.[1];
      if (page.status !== 200 || !settingsToken) throw new Error(`settings page failed: ${page.status}`);
      const res = await fetch(`${appUrl}/api/repositories/${encodeURIComponent(repo.uuid)}/link`, {
        method: "PUT",
        headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          gitlabUrl: gitlab.url,
          project: project.pathWithNamespace,
          token,
          statusMode: "pipeline",
          sync: "push",
        }),
      });
      const body = (await res.json()) as { link?: { sync?: string } };
      if (res.status !== 200 || body.link?.sync !== "push") throw new Error(`link failed: ${res.status} ${JSON.stringify(body)}`);
      this.linked.set(spec.name, { tenant, repo, git, project });
    }
  }

  /**
   * First a repo:push for what `main` holds now (with an empty cache on the app's side and an empty
   * GitLab project, that is the first sync), then `pushes` single-commit pushes, one after the other. The
   * clock of each runs from sending the webhook to the GitLab simulator having taken the push of the new
   * commit (its post-receive ran) and to the pipeline of that commit existing.
   */
  async series(opts: PushSyncSeriesOptions): Promise<PushSyncSeriesResult> {
    const l = this.linked.get(opts.name);
    if (!l) throw new Error(`no push-sync repository ${opts.name}`);
    let first: PushSyncSample | null = null;
    if (this.pushesOf(l).length === 0) {
      const head = (await l.git.resolve("refs/heads/main"))!;
      const all = await newObjectsSize(l.git, head, null);
      first = { ...(await this.timed(l, head, opts.timeoutMs)), newObjectBytes: all };
    }
    const pushes: PushSyncSample[] = [];
    for (let i = 0; i < opts.pushes; i++) {
      const parent = (await l.git.resolve("refs/heads/main"))!;
      const file = `bench/push-${++this.n}.bin`;
      const sha = await l.git.commit({
        branch: "main",
        files: { [file]: randomBytes(opts.blobBytes) },
        message: `push ${this.n}`,
      });
      const newObjectBytes = await newObjectsSize(l.git, sha, parent);
      pushes.push({ ...(await this.timed(l, sha, opts.timeoutMs)), newObjectBytes });
    }
    return { first, pushes };
  }

  private pushesOf(l: Linked) {
    return this.world.gitlab.pushes(l.project);
  }

  private async timed(l: Linked, sha: string, timeoutMs: number): Promise<Omit<PushSyncSample, "newObjectBytes">> {
    const t0 = performance.now();
    const sent = await this.world.bitbucket.pushed(l.tenant, l.repo, { branch: "main" });
    if (sent.status >= 300) throw new Error(`the app answered repo:push ${sent.status}`);
    let refMs = NaN;
    let sentBytes = NaN;
    for (;;) {
      const now = performance.now();
      if (Number.isNaN(refMs)) {
        const push = this.pushesOf(l).find((p) => p.updates.some((u) => u.after === sha && u.ref === "refs/heads/main"));
        if (push) {
          refMs = now - t0;
          sentBytes = push.requestBytes;
        }
      }
      if (!Number.isNaN(refMs) && this.world.gitlab.pipelines(l.project).some((p) => p.sha === sha)) {
        return { refMs: Math.round(refMs), pipelineMs: Math.round(now - t0), sentBytes };
      }
      if (now - t0 > timeoutMs) throw new Error(`push ${sha} not in GitLab with its pipeline after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** The uncompressed size of the objects `sha` adds over `parent`: the commit, the trees it changed, the blob. */
async function newObjectsSize(git: BareRepo, sha: string, parent: string | null): Promise<number> {
  const range = parent ? [sha, `^${parent}`] : [sha];
  const ids = (await git.git("rev-list", "--objects", "--no-object-names", ...range)).split("\n").filter(Boolean);
  // Before the clock starts: blocking here delays nothing measured.
  const sizes = execFileSync("git", ["-C", git.dir, "cat-file", "--batch-check=%(objectsize)"], {
    input: `${ids.join("\n")}\n`,
    maxBuffer: 64 * 1024 * 1024,
  });
  return String(sizes)
    .split("\n")
    .filter(Boolean)
    .reduce((a, line) => a + Number(line), 0);
}

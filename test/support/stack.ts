import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/logger";
import { startRuntime, type Runtime } from "../../src/runtime";
import { BitbucketSim, type BitbucketSimOptions, type SimRepo, type SimTenant } from "../../sim/bitbucket-sim";
import { ForgeSim } from "../../sim/forge-sim";
import { GitLabSim } from "../../sim/gitlab-sim";
import { keepForFailure } from "./failure-logs";
import { freshDatabaseUrl } from "./test-database";

export interface StackOptions {
  env?: Record<string, string>;
  pullMirrorIntervalSeconds?: number;
  worker?: boolean;
  /** The Bitbucket simulator's access-token lifetime and clock. */
  bitbucket?: BitbucketSimOptions;
  /** Turn the Forge edition on, with a Forge simulator whose JWKS the app trusts. */
  forge?: boolean;
}

/**
 * The app, in-process and listening on a real port, between a Bitbucket simulator and a GitLab
 * simulator: what every component test drives. Logs are captured (for tests that grep them for secrets),
 * and printed if the test fails (failure-logs.ts).
 */
export class Stack {
  readonly logs: string[] = [];
  private constructor(
    readonly app: Runtime,
    readonly bitbucket: BitbucketSim,
    readonly gitlab: GitLabSim,
    /** The Forge simulator, when the stack was started with `forge: true`. */
    readonly forge: ForgeSim | null,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(opts: StackOptions = {}): Promise<Stack> {
    const bitbucket = await BitbucketSim.start(opts.bitbucket);
    const gitlab = await GitLabSim.start({ pullMirrorIntervalSeconds: opts.pullMirrorIntervalSeconds ?? 0 });
    // GitLab clones from Bitbucket on every mirror update: the clone URL's access token must be one the
    // Bitbucket simulator issued and that has not expired.
    // A mirror set up by hand pulls a URL without credentials (GitLab keeps them apart): taken as working.
    gitlab.verifyMirrorCredentials = (url) => (url && !new URL(url).username ? null : bitbucket.checkCloneUrl(url));
    // A mirrored project pulls the repository of its name, as the settings page's mirror check expects.
    gitlab.mirrorSourceFor = (projectPath) => bitbucket.cloneUrlOf(projectPath.split("/").pop()!);
    const forge = opts.forge ? await ForgeSim.start({ bitbucket }) : null;
    const forgeEnv: Record<string, string> = forge
      ? { FORGE_APP_ID: forge.appId, FORGE_JWKS_URL: forge.jwksUrl, FORGE_TOKEN_WAIT_MS: "100" }
      : {};
    const dir = mkdtempSync(path.join(tmpdir(), "gl4bb-"));
    const db = await freshDatabaseUrl(path.join(dir, "app.sqlite"));
    const logs: string[] = [];
    const logKept = keepForFailure("app", logs);
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({
      NODE_ENV: "test",
      PORT: "0",
      DATABASE_URL: db.url,
      DATA_DIR: dir,
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "debug",
      OUTBOX_POLL_MS: "100",
      HTTP_TIMEOUT_MS: "2000",
      // Tests that are not about the rate budget or debouncing should not wait for them.
      BITBUCKET_CALLS_PER_HOUR: "100000000",
      MIRROR_DEBOUNCE_MS: "50",
      // Nor for the last-resort intake limits (the property and fuzz tests send thousands of hooks to one link).
      INTAKE_LINK_PER_SECOND: "100000",
      INTAKE_LINK_BURST: "100000",
      INTAKE_INSTALLATION_PER_SECOND: "100000",
      INTAKE_INSTALLATION_BURST: "100000",
      GITLAB_CALLS_PER_MINUTE: "10000000",
      GITLAB_BURST: "100000",
      ...forgeEnv,
      ...opts.env,
    });
    const app = await startRuntime(config, createLogger(config.logLevel, sink), { worker: opts.worker });
    const stack = new Stack(app, bitbucket, gitlab, forge, async () => {
      logKept();
      await db.drop();
      await removeDir(dir);
    });
    (stack as { logs: string[] }).logs = logs;
    return stack;
  }

  async stop(): Promise<void> {
    await this.app.stop(2_000);
    await Promise.all([this.bitbucket.close(), this.gitlab.close(), this.forge?.close()]);
    await this.cleanup();
  }

  async install(workspaceSlug = "acme-corp"): Promise<SimTenant> {
    const { status, body, tenant } = await this.bitbucket.install(this.app.url, { workspaceSlug });
    if (status !== 204) throw new Error(`install failed: ${status} ${body}`);
    return tenant;
  }

  /** Opens the repository settings page as Bitbucket frames it and returns the API token it embeds. */
  async settingsToken(tenant: SimTenant, repo: SimRepo): Promise<string> {
    const res = await fetch(this.bitbucket.pageUrl(tenant, repo));
    const html = await res.text();
    const token = /<meta name="token" content="([^"]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !token) throw new Error(`settings page failed: ${res.status} ${html.slice(0, 200)}`);
    return token;
  }

  /** Calls the settings JSON API. */
  async api(token: string, method: string, repoUuid: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.app.url}/api/repositories/${encodeURIComponent(repoUuid)}/link`, {
      method,
      headers: { Authorization: `JWT ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /**
   * The common start of a test: a workspace installed, a repository in it, a GitLab project with a
   * Maintainer's token, and the two linked through the settings API.
   */
  async linkedRepository(opts: { statusMode?: "pipeline" | "jobs" | "both"; projectPath?: string; repoSlug?: string } = {}) {
    const tenant = await this.install();
    const repo = this.bitbucket.addRepository(tenant, opts.repoSlug ?? "widgets");
    const user = this.gitlab.addUser("ada", "Ada Lovelace");
    const gitlabToken = this.gitlab.addToken(user);
    // The project pull-mirrors this repository, whatever their names.
    const importUrl = `${this.bitbucket.baseUrl}/${repo.fullName}.git`;
    const project = this.gitlab.addProject(opts.projectPath ?? "acme/widgets", { mirror: true, importUrl });
    this.gitlab.addMember(project, user, 40);
    const settingsToken = await this.settingsToken(tenant, repo);
    const linked = await this.api(settingsToken, "PUT", repo.uuid, {
      gitlabUrl: this.gitlab.url,
      project: project.pathWithNamespace,
      token: gitlabToken,
      statusMode: opts.statusMode ?? "pipeline",
    });
    if (linked.status !== 200) throw new Error(`link failed: ${linked.status} ${JSON.stringify(linked.body)}`);
    return { tenant, repo, user, gitlabToken, project, settingsToken, link: linked.body.link, webhook: linked.body.webhook };
  }
}

/**
 * Removes a stack's temp directory. A git process of a delivery the 2 s stop left running (a `git init`
 * copying its hook templates, say) may still be writing in the cache: the whole removal is tried again
 * until that process is done. rmSync's own retries do not do it: once a directory's children are removed,
 * they retry only its rmdir, not the files written meanwhile (ENOTEMPTY: 1 full run in about 8 here).
 */
const removeDir = (dir: string) =>
  eventually(
    () => {
      rmSync(dir, { recursive: true, force: true });
      return true;
    },
    10_000,
    200,
  );

/** Polls until `check` returns a truthy value (or throws its last error after the timeout). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = new Error("condition still false");
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the app's outbox has nothing waiting or in flight. */
export async function drained(stack: Stack, timeoutMs = 20_000): Promise<void> {
  await eventually(
    async () => {
      const d = await stack.app.deps.outbox.depth();
      // A delivered row is deleted before its event is written: the worker is done only when idle too.
      return d.pending === 0 && d.running === 0 && stack.app.deps.worker.delivering === 0;
    },
    timeoutMs,
    10,
  );
}

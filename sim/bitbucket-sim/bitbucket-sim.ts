import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import type { BareRepo } from "../git-http/bare-repo";
import { bitbucketGit, BitbucketRepos } from "../git-http/bitbucket-git";
import { accessTokenGrant, accessTokenProblem, cloneProblem, type IssuedAccessToken } from "./access-tokens";
import { checkDescriptor, expandContext, lifecycleUrl, pageModule, webhookUrl } from "./descriptor";
import { bracedUuid, randomSecret, randomSha, sameUuid } from "./ids";
import { ACTOR, installedPayload, pullRequestPayload, pushPayload, uninstalledPayload, type PullRequestSpec } from "./payloads";
import { appUrl, HEADER_TOKEN_TTL, PAGE_TOKEN_TTL, signAsBitbucket } from "./sign-token";
import { SimState } from "./state";
import { insightsApi, type StoredReport } from "./insights-api";
import { statusApi } from "./status-api";
import type { ApiCall, Fault, FiredFault, RecordedStatus, SignOpts, SimRepo, SimTenant } from "./types";

export interface InstallOptions {
  workspaceSlug?: string;
  workspaceUuid?: string;
  sharedSecret?: string;
  /** what the installed payload claims as Bitbucket's hosts (to simulate a forged host) */
  baseUrl?: string;
  baseApiUrl?: string;
}

export interface PushChange {
  branch?: string;
  tag?: string;
  sha?: string;
  kind?: "updated" | "created" | "deleted";
}

type Reply = { status: number; body: string };

export interface BitbucketSimOptions {
  /** Lifetime of access tokens from the JWT grant; Bitbucket's is 2 hours. */
  accessTokenTtlSeconds?: number;
  /** The clock access tokens expire by (epoch ms), for tests that move time by hand. */
  now?: () => number;
}

/**
 * Bitbucket Cloud for tests: installs an app from its descriptor, sends signed lifecycle calls, webhooks and
 * page loads, and serves the commit status API. One origin plays both bitbucket.org and api.bitbucket.org.
 */
export class BitbucketSim {
  readonly baseUrl: string;
  readonly apiBaseUrl: string;
  readonly apiCalls: ApiCall[];
  /** Git smart-HTTP requests served (ls-remote, fetch), apart from the REST calls. */
  readonly gitCalls: ApiCall[];
  private readonly hookUuids = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    private readonly state: SimState,
    private readonly repos: BitbucketRepos,
  ) {
    this.baseUrl = state.baseUrl;
    this.apiBaseUrl = state.apiBaseUrl;
    this.apiCalls = state.apiCalls;
    this.gitCalls = state.gitCalls;
  }

  static async start(opts: BitbucketSimOptions = {}): Promise<BitbucketSim> {
    const app = express();
    app.disable("x-powered-by");
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const state = new SimState(origin, origin, opts.now);
    if (opts.accessTokenTtlSeconds !== undefined) state.accessTokenTtlSeconds = opts.accessTokenTtlSeconds;
    const reports = new Map<string, StoredReport>();
    app.use("/2.0", insightsApi(state, reports));
    app.use("/2.0", statusApi(state));
    app.use(accessTokenGrant(state));
    const repos = new BitbucketRepos(mkdtempSync(path.join(tmpdir(), "bitbucket-sim-git-")));
    app.use(bitbucketGit(state, repos));
    app.use((_req, res) => res.status(404).json({ type: "error", error: { message: "Resource not found" } }));
    const sim = new BitbucketSim(server, state, repos);
    sim.reportsStore = reports;
    return sim;
  }

  /** Code Insights reports posted to this Bitbucket, by repository, commit and report id. */
  reportsStore = new Map<string, StoredReport>();

  /** The reports on one commit, with their annotations. */
  reports(sha: string): Array<StoredReport["body"] & { id: string; annotations: Array<Record<string, unknown>> }> {
    return [...this.reportsStore.values()]
      .filter((r) => r.sha === sha)
      .map((r) => ({ ...r.body, id: r.reportId, annotations: [...r.annotations.values()] }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
    rmSync(this.repos.root, { recursive: true, force: true });
  }

  /** The repository's git data (a bare repository served at `{baseUrl}/{full name}.git`), for tests to write. */
  git(repo: SimRepo): Promise<BareRepo> {
    return this.repos.get(repo);
  }

  /**
   * Tells the app about a change a test made with `git(repo)`: a repo:push webhook whose new sha is what
   * the branch or tag now points at (the old one for a deletion).
   */
  async pushed(tenant: SimTenant, repo: SimRepo, change: Omit<PushChange, "sha"> = {}) {
    const git = await this.repos.get(repo);
    const ref = change.tag !== undefined ? `refs/tags/${change.tag}` : `refs/heads/${change.branch ?? "main"}`;
    const sha = (await git.resolve(`${ref}^{commit}`)) ?? undefined;
    return this.push(tenant, repo, { ...change, sha, kind: change.kind ?? (sha ? undefined : "deleted") });
  }

  async install(appBaseUrl: string, opts: InstallOptions = {}): Promise<Reply & { tenant: SimTenant }> {
    const descriptorUrl = `${appBaseUrl.replace(/\/+$/, "")}/atlassian-connect.json`;
    const fetched = await fetch(descriptorUrl);
    if (!fetched.ok) throw new Error(`GET ${descriptorUrl} answered ${fetched.status}`);
    const descriptor = await fetched.json();
    checkDescriptor(descriptor, descriptorUrl);

    const workspace = this.state.workspaceFor(opts);
    const clientKey = `ari:cloud:bitbucket::app/${workspace.uuid}/${descriptor.key}`;
    const sharedSecret = opts.sharedSecret ?? randomSecret();
    const candidate: SimTenant = {
      clientKey,
      sharedSecret,
      appKey: descriptor.key,
      workspace,
      appBaseUrl: String(descriptor.baseUrl).replace(/\/+$/, ""),
      descriptor,
      installed: false,
    };
    const body = installedPayload(
      { hosts: this.hosts(), workspace },
      {
        appKey: descriptor.key,
        clientKey,
        sharedSecret,
        baseUrl: opts.baseUrl ?? this.baseUrl,
        baseApiUrl: opts.baseApiUrl ?? this.apiBaseUrl,
      },
    );
    const known = this.state.installations.get(clientKey);
    // The first install is unsigned; every later one (re-install, or install after an uninstall) is signed
    // with the secret of the preceding successful install, so the app can tell the same tenant from an impostor.
    const url = lifecycleUrl(descriptor, "installed")!;
    const token = known?.acceptedSecret ? this.sign(candidate, "POST", url, { secret: known.acceptedSecret }) : undefined;
    const record = known ?? { tenant: candidate, installed: false };
    if (!known) this.state.installations.set(clientKey, record);
    (record.pendingSecrets ??= new Set()).add(sharedSecret);
    let reply: Reply;
    try {
      reply = await this.post(url, body, token);
    } finally {
      record.pendingSecrets.delete(sharedSecret);
    }

    if (reply.status >= 200 && reply.status < 300) {
      const tenant = Object.assign(record.tenant, candidate, { installed: true });
      Object.assign(record, { tenant, acceptedSecret: sharedSecret, installed: true });
      return { ...reply, tenant };
    }
    return { ...reply, tenant: record.acceptedSecret ? record.tenant : candidate };
  }

  /** Answers `{status: 0}` when the descriptor declares no uninstalled hook. */
  async uninstall(tenant: SimTenant): Promise<Reply> {
    const installation = this.installationOf(tenant);
    const url = lifecycleUrl(installation.tenant.descriptor, "uninstalled");
    const fields = { appKey: tenant.appKey, clientKey: tenant.clientKey, baseUrl: this.baseUrl, baseApiUrl: this.apiBaseUrl };
    const reply = url
      ? await this.post(
          url,
          uninstalledPayload({ hosts: this.hosts(), workspace: tenant.workspace }, fields),
          this.sign(tenant, "POST", url),
        )
      : { status: 0, body: "" };
    // Removal is the admin's decision: Bitbucket does not wait for the app to agree.
    installation.installed = false;
    installation.tenant.installed = false;
    return reply;
  }

  /** Makes Bitbucket accept `token` as a bearer token for one workspace until `expiresAt` (sim clock, ms). */
  acceptBearerToken(token: string, grant: { workspaceUuid: string; identity: string; expiresAt: number }): void {
    this.state.bearerTokens.set(token, { ...grant });
  }

  /** Makes a bearer token expire now: Bitbucket answers 401 to it from here on. */
  expireBearerToken(token: string): void {
    const known = this.state.bearerTokens.get(token);
    if (known) known.expiresAt = this.state.now();
  }

  /** The workspace of that uuid (made on first mention), for editions that install without a SimTenant. */
  workspace(uuid: string, slug?: string): { uuid: string; slug: string } {
    return this.state.workspaceFor({ workspaceUuid: uuid, workspaceSlug: slug });
  }

  /**
   * The clone URL, without credentials, of the newest repository named `slug`: what a GitLab pull mirror
   * set up by hand for it pulls (GitLab keeps such a mirror's credentials apart from its URL).
   */
  cloneUrlOf(slug: string): string | undefined {
    const repo = [...this.state.repos.values()].reverse().find((r) => r.slug === slug);
    return repo ? `${this.baseUrl}/${repo.fullName}.git` : undefined;
  }

  addRepository(tenant: Pick<SimTenant, "workspace">, slug: string): SimRepo {
    const taken = [...this.state.repos.values()].some((r) => r.workspace.uuid === tenant.workspace.uuid && r.slug === slug);
    if (taken) throw new Error(`${tenant.workspace.slug}/${slug} already exists`);
    const repo: SimRepo = {
      uuid: bracedUuid(),
      slug,
      fullName: `${tenant.workspace.slug}/${slug}`,
      workspace: { ...tenant.workspace },
      branches: new Map(),
    };
    this.state.repos.set(repo.uuid, repo);
    return repo;
  }

  async push(tenant: SimTenant, repo: SimRepo, change: PushChange = {}): Promise<Reply & { sha: string; payload: any }> {
    this.installationOf(tenant);
    if (repo.workspace.uuid !== tenant.workspace.uuid) throw new Error(`${repo.fullName} is not in ${tenant.workspace.slug}`);
    const refType = change.tag !== undefined ? "tag" : "branch";
    const name = change.tag ?? change.branch ?? "main";
    const head = refType === "branch" ? repo.branches.get(name) : undefined;
    const kind = change.kind ?? (head ? "updated" : "created");
    const sha = change.sha ?? (kind === "deleted" && head ? head : randomSha());
    const payload = pushPayload(
      { hosts: this.hosts(), workspace: tenant.workspace, repo },
      { refType, kind, name, sha, previous: head },
    );
    if (refType === "branch") {
      if (kind === "deleted") repo.branches.delete(name);
      else repo.branches.set(name, sha);
    }
    const reply = await this.sendWebhook(tenant, "repo:push", payload);
    return { ...reply, sha, payload };
  }

  /**
   * A `pullrequest:<action>` webhook for pull request `id` of `repo`, its commits read from the branches'
   * heads in git (the source's in `sourceRepo` for a fork) unless given.
   */
  async pullRequest(
    tenant: SimTenant,
    repo: SimRepo,
    spec: {
      id: number;
      action: PullRequestSpec["action"];
      source: string;
      destination: string;
      sourceRepo?: SimRepo;
      sourceCommit?: string;
    },
  ): Promise<Reply & { payload: any }> {
    const head = async (r: SimRepo, branch: string) => {
      const sha = await (await this.repos.get(r)).resolve(`refs/heads/${branch}`);
      if (!sha) throw new Error(`${r.fullName} has no branch ${branch}`);
      return sha;
    };
    const payload = pullRequestPayload(
      { hosts: this.hosts(), workspace: tenant.workspace, repo },
      {
        id: spec.id,
        action: spec.action,
        source: {
          branch: spec.source,
          commit: spec.sourceCommit ?? (await head(spec.sourceRepo ?? repo, spec.source)),
          repo: spec.sourceRepo,
        },
        destination: { branch: spec.destination, commit: await head(repo, spec.destination) },
      },
    );
    const sourceHead = spec.sourceCommit ?? (await head(spec.sourceRepo ?? repo, spec.source));
    this.state.pullRequests.set(`${repo.uuid}#${spec.id}`, { sourceHead });
    const reply = await this.sendWebhook(tenant, `pullrequest:${spec.action}`, payload);
    return { ...reply, payload };
  }

  /** Sends `body` as is (Connect webhook bodies are `{event, data}`) to the module subscribed to `event`. */
  async sendWebhook(
    tenant: SimTenant,
    event: string,
    body: unknown,
    opts: SignOpts & { requestUuid?: string } = {},
  ): Promise<Reply> {
    const url = webhookUrl(tenant.descriptor, event);
    if (!url) throw new Error(`the descriptor of ${tenant.appKey} subscribes to no ${event} webhook`);
    const hookKey = `${tenant.clientKey} ${event}`;
    if (!this.hookUuids.has(hookKey)) this.hookUuids.set(hookKey, randomUUID());
    // Headers of a captured Connect webhook delivery.
    return this.post(url, body, this.sign(tenant, "POST", url, opts), {
      "user-agent": "Bitbucket-Webhooks/2.0",
      "x-event-key": event,
      "x-event-time": new Date().toUTCString(),
      "x-hook-uuid": this.hookUuids.get(hookKey)!,
      // A resend (Bitbucket's retry, or "Resend request") carries the delivery's own X-Request-UUID.
      "x-request-uuid": opts.requestUuid ?? randomUUID(),
      "x-attempt-number": "1",
    });
  }

  /** An iframe load of a page module: its url with context substituted, plus `jwt=` (3-minute token). */
  pageUrl(tenant: SimTenant, repo: SimRepo, opts: SignOpts & { moduleKey?: string } = {}): string {
    const page = pageModule(tenant.descriptor, opts.moduleKey);
    const path = expandContext(page.url, {
      "repository.uuid": repo.uuid,
      "repository.full_name": repo.fullName,
      "repository.name": repo.slug,
      "workspace.uuid": repo.workspace.uuid,
      "workspace.slug": repo.workspace.slug,
      "user.uuid": ACTOR.uuid,
    });
    const url = appUrl(tenant.appBaseUrl, path);
    const signOpts: SignOpts & { moduleKey?: string } = { secret: this.secretOf(tenant), ...opts };
    delete signOpts.moduleKey;
    const token = signAsBitbucket(tenant, "GET", url, signOpts, { expiresInSeconds: PAGE_TOKEN_TTL, sub: ACTOR.accountId });
    return `${url}${url.includes("?") ? "&" : "?"}jwt=${token}`;
  }

  /** The workspace settings page (the admin page at org.bitbucket.account.admin), as Bitbucket frames it. */
  workspacePageUrl(tenant: SimTenant, opts: SignOpts = {}): string {
    const modules: any[] = tenant.descriptor.modules?.adminPages ?? [];
    const page = modules.find((m) => m.location === "org.bitbucket.account.admin");
    if (!page) throw new Error("the descriptor has no admin page at org.bitbucket.account.admin");
    const path = expandContext(page.url, {
      "workspace.uuid": tenant.workspace.uuid,
      "workspace.slug": tenant.workspace.slug,
      "user.uuid": ACTOR.uuid,
    });
    const url = appUrl(tenant.appBaseUrl, path);
    const token = signAsBitbucket(
      tenant,
      "GET",
      url,
      { secret: this.secretOf(tenant), ...opts },
      { expiresInSeconds: PAGE_TOKEN_TTL, sub: ACTOR.accountId },
    );
    return `${url}${url.includes("?") ? "&" : "?"}jwt=${token}`;
  }

  /** Access tokens issued through `POST /site/oauth2/access_token`, oldest first. */
  accessTokens(): IssuedAccessToken[] {
    return [...this.state.accessTokens.values()].map((t) => ({ ...t }));
  }

  /** Whether Bitbucket would accept this access token now (issued here, not expired, app still installed). */
  isValidAccessToken(token: string): boolean {
    return accessTokenProblem(this.state, token) === null;
  }

  /** Lets every access token issued so far run out, as two hours passing would. */
  expireAccessTokens(): void {
    for (const t of this.state.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, this.state.now() - 1);
  }

  /**
   * What `git clone <url>` against this Bitbucket would answer: null when it would succeed, git's error
   * otherwise, undefined when the URL is not this Bitbucket's. The GitLab simulator asks this on every
   * mirror update.
   */
  checkCloneUrl(url: string | undefined): string | null | undefined {
    return cloneProblem(this.state, url);
  }

  /** A request to the app signed as Bitbucket signs webhooks; `pathAndQuery` is relative to the app baseUrl. */
  signedFetch(tenant: SimTenant, method: string, pathAndQuery: string, body?: unknown, opts: SignOpts = {}): Promise<Response> {
    const url = appUrl(tenant.appBaseUrl, pathAndQuery);
    const headers: Record<string, string> = { authorization: `JWT ${this.sign(tenant, method, url, opts)}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  sign(tenant: SimTenant, method: string, pathAndQuery: string, opts: SignOpts = {}): string {
    return signAsBitbucket(
      tenant,
      method,
      pathAndQuery,
      { secret: this.secretOf(tenant), ...opts },
      { expiresInSeconds: HEADER_TOKEN_TTL },
    );
  }

  statuses(filter: { repoUuid?: string; sha?: string } = {}): RecordedStatus[] {
    return [...this.state.statuses.values()]
      .filter(
        (s) => (!filter.repoUuid || sameUuid(s.repoUuid, filter.repoUuid)) && (!filter.sha || s.sha === filter.sha.toLowerCase()),
      )
      .map((s) => ({ ...s }));
  }

  /** Queues `fault` for the next `count` REST calls, served first in, first out. */
  injectFaults(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.state.faults.push(fault);
  }

  /** Faults for Code Insights calls only, met in order (`{ delayMs: 0 }` lets one call through). */
  injectInsightFaults(...faults: Fault[]): void {
    this.state.insightFaults.push(...faults);
  }

  clearFaults(): void {
    this.state.faults.length = 0;
    this.state.insightFaults.length = 0;
  }

  /** The injected faults calls have met so far, in order. */
  get firedFaults(): readonly FiredFault[] {
    return this.state.firedFaults;
  }

  private async post(
    url: string,
    body: unknown,
    token: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const all: Record<string, string> = { "content-type": "application/json", ...headers };
    if (token) all.authorization = `JWT ${token}`;
    const res = await fetch(url, { method: "POST", headers: all, body: JSON.stringify(body) });
    return { status: res.status, body: await res.text() };
  }

  private hosts() {
    return { web: this.baseUrl, api: this.apiBaseUrl };
  }

  private installationOf(tenant: SimTenant) {
    const installation = this.state.installations.get(tenant.clientKey);
    if (!installation?.installed) throw new Error(`${tenant.clientKey} is not installed`);
    return installation;
  }

  /** Bitbucket signs with the secret it holds, whatever a test did to its copy of the tenant. */
  private secretOf(tenant: SimTenant): string {
    return this.state.installations.get(tenant.clientKey)?.acceptedSecret ?? tenant.sharedSecret;
  }
}

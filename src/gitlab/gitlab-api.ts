import { GitbeakerRequestError, Jobs, Pipelines, ProjectHooks, ProjectMembers, Projects, Users } from "@gitbeaker/rest";
import type { Agent } from "node:http";
import { fetch, request, type Dispatcher, type Response as FetchResponse } from "undici";
import { TokenBucket } from "../core/token-bucket";
import { badRequest, parseRetryAfter, PeerFailure, peerStatusFailure, WorkDeferred } from "../errors";
import { answerRefused } from "../http/answer-refused";
import { hasDotSegment } from "./has-dot-segment";
import { hostRefused } from "./host-policy";
import { boundedStrings } from "./bounded-strings";
import { networkProblem } from "./network-problem";
import { failedTests, type FailedTests } from "./failed-tests";

export interface GitLabUser {
  id: number;
  username: string;
  name: string;
}
export interface GitLabProject {
  id: number;
  path_with_namespace: string;
  web_url: string;
  default_branch?: string | null;
  /** Shown only to Maintainers, and only where the plan has pull mirroring. */
  mirror?: boolean;
  visibility?: "private" | "internal" | "public";
  /** The top-level CI file: a path in the repository, or `file@group/project[:ref]`, or a URL; empty or null for `.gitlab-ci.yml`. */
  ci_config_path?: string | null;
}
export interface GitLabPipeline {
  id: number;
  project_id: number;
  sha: string;
  ref: string;
  tag?: boolean;
  status: string;
  web_url: string;
  duration?: number | null;
  created_at?: string;
  updated_at?: string;
  /** The mean of the jobs' coverage, as a string (e.g. "87.50"), or null. */
  coverage?: string | null;
}
export interface GitLabJob {
  id: number;
  name: string;
  stage: string;
  status: string;
  allow_failure: boolean;
  web_url: string;
  duration?: number | null;
  /** Report artifacts by type (codequality, sast, junit…), as the jobs API lists them. */
  artifacts?: Array<{ file_type: string; filename: string; size?: number }>;
}
export interface GitLabMirror {
  update_status?: string | null;
  last_error?: string | null;
  last_successful_update_at?: string | null;
  last_update_at?: string | null;
}
export interface GitLabHook {
  id: number;
  url: string;
}

/**
 * The only door to GitLab. Wraps gitbeaker (its responses keep GitLab's snake_case), adds a timeout to
 * every call, and names each call after what we use it for. gitbeaker retries 429/502 itself for about a
 * quarter of a second; anything longer is the outbox's job.
 */
export class GitLabApi {
  private readonly api: ReturnType<typeof resources>;
  private readonly budget: TokenBucket;
  private readonly host: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly checks: RequestChecks;

  /**
   * `dispatcher` carries every call: it caps answers and refuses redirects (see gitlab-dispatcher.ts).
   * `beforeCall` runs before each request and may refuse it by throwing (the workspace's allowed hosts).
   */
  constructor(
    host: string,
    token: string,
    timeoutMs: number,
    dispatcher: Dispatcher,
    budget = DEFAULT_BUDGET,
    beforeCall?: () => Promise<void>,
  ) {
    // gitbeaker types `agent` as an http.Agent but hands it to fetch as its undici dispatcher.
    const agent = dispatcher as unknown as Agent;
    this.checks = { host, timeoutMs, beforeCall };
    this.api = resources({ host, token, queryTimeout: timeoutMs, rateLimits: RATE_LIMITS, agent }, this.checks);
    this.host = host.replace(/\/+$/, "");
    this.token = token;
    this.timeoutMs = timeoutMs;
    this.dispatcher = dispatcher;
    this.budget = new TokenBucket(budget.perMinute / 60_000, budget.burst);
  }

  /**
   * Takes `calls` from this host and token's budget before queued work calls GitLab, or throws
   * WorkDeferred (the worker puts the row back without spending an attempt, frees its slot, and holds
   * the link's other rows) when it is spent. Waiting in gitbeaker's own limiter instead held a worker
   * slot for as long as it queued (issue 17).
   */
  admit(calls: number): void {
    const waitMs = this.budget.take(calls);
    if (waitMs > 0) throw new WorkDeferred("waiting for this GitLab token's call budget", waitMs, true);
  }

  currentUser(): Promise<GitLabUser> {
    return this.api.Users.showCurrentUser() as unknown as Promise<GitLabUser>;
  }

  async project(idOrPath: number | string): Promise<GitLabProject> {
    return (await this.api.Projects.show(projectRef(idOrPath))) as unknown as GitLabProject;
  }

  /** The user's effective access level on the project (inherited from groups included), or 0. */
  async accessLevel(projectId: number, userId: number): Promise<number> {
    try {
      const member = (await this.api.ProjectMembers.show(projectId, userId, { includeInherited: true })) as {
        access_level?: number;
      };
      return member.access_level ?? 0;
    } catch (e) {
      if (statusOf(e) === 404) return 0;
      throw e;
    }
  }

  // push_events defaults to true on GitLab: switch it off, we only want pipelines and jobs.
  addHook(projectId: number, url: string, secret: string, verifySsl: boolean): Promise<GitLabHook> {
    return this.api.ProjectHooks.add(projectId, url, {
      token: secret,
      pipelineEvents: true,
      jobEvents: true,
      pushEvents: false,
      enableSslVerification: verifySsl,
    }) as unknown as Promise<GitLabHook>;
  }

  /** Gives our hook a new secret token (GitLab keeps the URL; both are sent, as GitLab resets the token on a new URL). */
  async setHookSecret(projectId: number, hookId: number, url: string, secret: string): Promise<void> {
    await this.api.requester.put(`projects/${projectId}/hooks/${hookId}`, { body: { url, token: secret } });
  }

  async removeHook(projectId: number, hookId: number): Promise<void> {
    await this.api.ProjectHooks.remove(projectId, hookId);
  }

  /** Asks GitLab to update the pull mirror now (gitbeaker's misnamed createPullMirror is this trigger). */
  async triggerMirror(projectId: number): Promise<void> {
    await this.api.requester.post(`projects/${projectId}/mirror/pull`);
  }

  /**
   * A pipeline on an existing branch or tag (GitLab answers 400 "Reference not found" otherwise), with
   * pipeline variables when given (refused with a 400 where the project restricts them to Maintainers or
   * to no one, the default for new projects since GitLab 18.0) and `inputs`, a hash (GitLab 17.10+, for
   * the `spec: inputs` of the CI file's header; an input it does not declare is a 400).
   */
  async createPipeline(
    projectId: number,
    ref: string,
    context: { variables?: Record<string, string>; inputs?: Record<string, string | number> } = {},
  ): Promise<GitLabPipeline> {
    const body: Record<string, unknown> = { ref };
    const { variables, inputs } = context;
    if (variables && Object.keys(variables).length > 0)
      body.variables = Object.entries(variables).map(([key, value]) => ({ key, value, variable_type: "env_var" }));
    if (inputs && Object.keys(inputs).length > 0) body.inputs = inputs;
    return (await this.api.requester.post(`projects/${projectId}/pipeline`, { body })).body as unknown as GitLabPipeline;
  }

  /** Cancels a pipeline's jobs that have not finished (a finished pipeline stays as it is). */
  async cancelPipeline(projectId: number, pipelineId: number): Promise<GitLabPipeline> {
    return (await this.api.requester.post(`projects/${projectId}/pipelines/${pipelineId}/cancel`))
      .body as unknown as GitLabPipeline;
  }

  /** Deletes a branch; one that is already gone is fine. */
  async deleteBranch(projectId: number, branch: string): Promise<void> {
    try {
      await this.api.requester.delete(`projects/${projectId}/repository/branches/${encodeURIComponent(branch)}`);
    } catch (e) {
      if (statusOf(e) === 404) return;
      throw e;
    }
  }

  mirror(projectId: number): Promise<GitLabMirror> {
    return this.api.Projects.showPullMirror(projectId) as unknown as Promise<GitLabMirror>;
  }

  /** The newest pipeline for a commit on a ref, if GitLab has one. */
  async newestPipeline(projectId: number, sha: string, ref: string): Promise<GitLabPipeline | null> {
    // Every status makes this call: through getJson (undici's request) rather than gitbeaker's fetch.
    const query = new URLSearchParams({ sha, ref, order_by: "id", sort: "desc", per_page: "1" });
    const { body } = await this.getJson(`projects/${projectId}/pipelines?${query}`);
    const newest = Array.isArray(body) ? (body[0] as GitLabPipeline | undefined) : undefined;
    if (!newest || typeof newest.id !== "number") return null;
    return this.pipeline(projectId, newest.id);
  }

  async pipeline(projectId: number, pipelineId: number): Promise<GitLabPipeline> {
    return (await this.getJson(`projects/${projectId}/pipelines/${pipelineId}`)).body as GitLabPipeline;
  }

  /** The latest attempt of every job of the pipeline (retried attempts left out, as GitLab does), up to 1,000. */
  async jobs(projectId: number, pipelineId: number): Promise<GitLabJob[]> {
    const jobs: GitLabJob[] = [];
    for (let page: string | null = "1", pages = 0; page && pages < 10; pages++) {
      const answer = await this.getJson(`projects/${projectId}/pipelines/${pipelineId}/jobs?per_page=100&page=${page}`);
      if (!Array.isArray(answer.body)) break;
      jobs.push(...(answer.body as GitLabJob[]));
      page = answer.nextPage;
    }
    return jobs;
  }

  /**
   * A GET of a JSON answer round gitbeaker, for the calls every status makes (the newest pipeline, its
   * jobs):
   * gitbeaker goes through fetch, whose WHATWG layers cost several times the CPU of undici's `request`
   * (issue 16). The checks gitbeaker's path makes are made here: the workspace's allowed hosts first, the
   * answer cap and no redirects (the dispatcher), a failure to reach GitLab named in plain words, GitLab's
   * refusals as GitLabAnswerError, strings bounded. Unlike gitbeaker it does not retry a 429 or 502 itself:
   * the outbox does.
   */
  private async getJson(path: string): Promise<{ body: unknown; nextPage: string | null }> {
    const answer = await checkedRequest(this.checks, async () => {
      const response = await request(`${this.host}/api/v4/${path}`, {
        headers: { "PRIVATE-TOKEN": this.token, accept: "application/json" },
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
    });
    const header = (name: string) => {
      const value = answer.headers[name];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    };
    if (answer.status < 200 || answer.status >= 300)
      throw new GitLabAnswerError(answer.status, answer.text.slice(0, 4096), header("retry-after"));
    const next = header("x-next-page");
    return { body: boundedStrings(JSON.parse(answer.text)), nextPage: next && /^\d+$/.test(next) ? next : null };
  }

  /** The token itself (GitLab 15.5+): its name, scopes and expiry. Older GitLabs answer 404. */
  async tokenInfo(): Promise<GitLabTokenInfo> {
    return (await this.api.requester.get("personal_access_tokens/self")).body as unknown as GitLabTokenInfo;
  }

  /** The projects the token's user is a member of whose name or path matches, most recently active first. */
  async searchProjects(search: string, limit = 20): Promise<GitLabProjectDetails[]> {
    const searchParams: Record<string, string> = {
      membership: "true",
      min_access_level: "10",
      order_by: "last_activity_at",
      per_page: String(limit),
      ...(search && { search, search_namespaces: "true" }),
    };
    return (await this.api.requester.get("projects", { searchParams })).body as unknown as GitLabProjectDetails[];
  }

  /** GET /projects/:id with the fields only Maintainers see (mirror, import_url) when GitLab shows them. */
  async projectDetails(idOrPath: number | string): Promise<GitLabProjectDetails> {
    return (await this.api.Projects.show(projectRef(idOrPath))) as unknown as GitLabProjectDetails;
  }

  hook(projectId: number, hookId: number): Promise<GitLabHookDetails> {
    return this.api.ProjectHooks.show(projectId, hookId) as unknown as Promise<GitLabHookDetails>;
  }

  /**
   * The project's pipelines updated after `after` (ISO 8601), oldest update first, a page at a time: what
   * the catch-up sweep reads. An idle project costs one call.
   */
  async pipelinesUpdatedAfter(projectId: number, after: string, perPage = 100): Promise<GitLabPipeline[]> {
    return (await this.api.Pipelines.all(projectId, {
      updatedAfter: after,
      orderBy: "updated_at",
      sort: "asc",
      perPage,
      maxPages: 1,
    })) as unknown as GitLabPipeline[];
  }

  /**
   * The pipeline's test report (GitLab parses it from the jobs' JUnit artifacts; all tiers), read as it
   * streams in, keeping its counts and its first `keep` failed or errored cases (failed-tests.ts). The
   * whole report of a large suite is megabytes of passing cases that gitbeaker would buffer and parse.
   */
  async failedTests(projectId: number, pipelineId: number, keep: number): Promise<FailedTests> {
    const url = `${this.host}/api/v4/projects/${projectId}/pipelines/${pipelineId}/test_report`;
    // Round gitbeaker, through the same checks as its requests; the answer's cap is the dispatcher's
    // (gitlab-dispatcher.ts: the test report's own, larger).
    return checkedRequest(this.checks, async () => {
      const response = await fetch(url, {
        headers: { "PRIVATE-TOKEN": this.token, accept: "application/json" },
        dispatcher: this.dispatcher,
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok)
        throw new GitLabAnswerError(response.status, await firstBytes(response), response.headers.get("retry-after"));
      const reader = failedTests(keep);
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) reader.write(decoder.decode(chunk as Uint8Array, { stream: true }));
      reader.write(decoder.decode());
      return reader.end();
    });
  }

  /**
   * One file of a job's artifacts, parsed as JSON, or null when GitLab does not serve it (it serves a
   * report file only when the CI config also lists it under `artifacts:paths`).
   */
  async artifactJson(projectId: number, jobId: number, filename: string): Promise<unknown> {
    try {
      const { body } = await this.api.requester.get(
        `projects/${projectId}/jobs/${jobId}/artifacts/${filename.split("/").map(encodeURIComponent).join("/")}`,
      );
      if (typeof body === "string") return JSON.parse(body);
      if (body instanceof Blob) return JSON.parse(await body.text());
      if (body instanceof ArrayBuffer) return JSON.parse(Buffer.from(body).toString("utf8"));
      return body;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  /** The newest pipeline on a branch, if any. */
  async latestPipeline(projectId: number, ref: string): Promise<GitLabPipeline | null> {
    const list = (await this.api.Pipelines.all(projectId, {
      ref,
      orderBy: "id",
      sort: "desc",
      perPage: 1,
      maxPages: 1,
    })) as unknown as GitLabPipeline[];
    return list[0] ?? null;
  }

  /**
   * The namespaces of the token's user (their own and every group they belong to, at any role), most
   * relevant first, as GET /namespaces lists them.
   */
  async namespaces(search = ""): Promise<GitLabNamespace[]> {
    const searchParams: Record<string, string> = { per_page: "100", ...(search && { search }) };
    return (await this.api.requester.get("namespaces", { searchParams })).body as unknown as GitLabNamespace[];
  }

  /** Ids of the groups where the token's user has at least `minAccessLevel` (GET /groups?min_access_level=). */
  async groupIds(minAccessLevel: number): Promise<number[]> {
    const searchParams = { min_access_level: String(minAccessLevel), per_page: "100" };
    const groups = (await this.api.requester.get("groups", { searchParams })).body as unknown as { id: number }[];
    return groups.map((g) => g.id);
  }

  /**
   * POST /projects. With `import_url` and `mirror: true` this is GitLab's "CI/CD for external repository"
   * project: it imports the repository and keeps pulling it. Without Premium, GitLab drops the mirror
   * fields silently: the answer then shows no `mirror: true`.
   */
  async createProject(params: NewGitLabProject): Promise<GitLabProjectDetails & { import_status?: string }> {
    const body = { visibility: "private", ...params } as Record<string, unknown>;
    return (await this.api.requester.post("projects", { body })).body as unknown as GitLabProjectDetails;
  }

  /** GitLab 17.6+: configures the pull mirror (source URL and its credentials); older GitLabs answer 404. */
  async updatePullMirror(
    projectId: number,
    settings: { url: string; auth_user?: string; auth_password?: string },
  ): Promise<void> {
    await this.api.requester.put(`projects/${projectId}/mirror/pull`, { body: settings });
  }

  /** The project's import URL, which is the pull mirror's source (credentials included) on GitLabs before 17.6. */
  async setImportUrl(projectId: number, importUrl: string): Promise<void> {
    await this.api.requester.put(`projects/${projectId}`, { body: { import_url: importUrl } });
  }
}

/**
 * gitbeaker queues calls past a per-client rate, matching every request against its ~17 default route
 * globs (measured at 2.4% of the app's CPU under load). One glob is cheaper, and its rate is set so high
 * that it never queues: a call waiting there would hold a worker slot. Queued work spends our own budget
 * first (`admit`), and GitLab's own 429s are retried by the outbox.
 */
const RATE_LIMITS = { "**": 1_000_000 };

/** GitLab.com allows 2,000 calls a minute per user. */
const DEFAULT_BUDGET = { perMinute: 2000, burst: 200 };

/**
 * Only the gitbeaker resources we call. The all-in-one `Gitlab` client builds every one of its ~200
 * resources: measured at 1.7 MB per client against 0.05 MB for these, and a client is kept per link.
 */
function resources(
  opts: { host: string; token: string; queryTimeout: number; rateLimits: typeof RATE_LIMITS; agent: Agent },
  checks: RequestChecks,
) {
  const projects = new Projects(opts);
  const all = {
    Users: new Users(opts),
    Projects: projects,
    ProjectMembers: new ProjectMembers(opts),
    ProjectHooks: new ProjectHooks(opts),
    Pipelines: new Pipelines(opts),
    Jobs: new Jobs(opts),
  };
  for (const resource of Object.values(all)) boundAnswerStrings(resource.requester as unknown as Record<string, unknown>, checks);
  return { ...all, requester: projects.requester };
}

/**
 * Every request of every gitbeaker resource goes through `checkedRequest`, and every answer's strings are
 * cut to a sane length where they enter, whichever resource asked (bounded-strings.ts).
 */
function boundAnswerStrings(requester: Record<string, unknown>, checks: RequestChecks): void {
  for (const method of ["get", "post", "put", "patch", "delete"]) {
    const call = requester[method] as (...args: unknown[]) => Promise<{ body: unknown }>;
    requester[method] = async (...args: unknown[]) => {
      const response = await checkedRequest(checks, () => call(...args));
      return { ...response, body: boundedStrings(response.body) };
    };
  }
}

/** What every request to one GitLab passes: its address, its timeout, and the check made before it. */
interface RequestChecks {
  host: string;
  timeoutMs: number;
  /** May refuse the request by throwing (the workspace's allowed hosts). */
  beforeCall?: () => Promise<void>;
}

/**
 * One request to GitLab, made by gitbeaker or by our own streamed read: it first passes `beforeCall`, and a
 * failure to reach GitLab is named in plain words where it happens, while the timeout is known. GitLab's
 * answers (an error status, one over the dispatcher's cap) go through as they are.
 */
async function checkedRequest<T>(checks: RequestChecks, request: () => Promise<T>): Promise<T> {
  if (checks.beforeCall) await checks.beforeCall();
  try {
    return await request();
  } catch (e) {
    const problem = statusOf(e) === undefined && !answerRefused(e) ? networkProblem(e, checks.timeoutMs) : null;
    throw problem ? new GitLabUnreachable(withHost(problem, hostOf(checks.host)), e) : e;
  }
}

/** GitLab could not be reached at all: the message says why in plain words; `cause` is fetch's own error. */
export class GitLabUnreachable extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = "GitLabUnreachable";
  }
}

// "connection refused at 10.0.0.5:443" and "name not found: gitlab.example" already say where.
function withHost(problem: string, host: string): string {
  if (/^(connection refused at|name )/.test(problem) || problem.includes(host)) return problem;
  if (problem.startsWith("connection refused")) return problem.replace("connection refused", `connection refused at ${host}`);
  return `${problem} reaching ${host}`;
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/**
 * A project id or path fit to put in a URL: gitbeaker encodes "/" but resolves a path of "." or ".."
 * against the API root, which would call another route with the token (GET /projects/, GET /).
 */
function projectRef(idOrPath: number | string): number | string {
  if (typeof idOrPath === "string" && hasDotSegment(idOrPath))
    throw badRequest("A project path has no '.' or '..' parts", { project: "A project path has no '.' or '..' parts" });
  return idOrPath;
}

/** The HTTP status of a failed gitbeaker call, if GitLab answered at all. */
export function statusOf(e: unknown): number | undefined {
  if (e instanceof GitLabAnswerError) return e.status;
  if (e instanceof GitbeakerRequestError) {
    const response = (e.cause as { response?: Response } | undefined)?.response;
    return response?.status;
  }
  return undefined;
}

/** GitLab's own words about a failed call, short enough to keep and show. */
export function gitlabMessage(e: unknown): string {
  const refused = answerRefused(e);
  if (refused) return refused.message;
  if (e instanceof GitLabUnreachable) return e.message;
  if (e instanceof GitLabAnswerError) return e.message;
  if (e instanceof GitbeakerRequestError) {
    const description = (e.cause as { description?: string } | undefined)?.description ?? e.message;
    return String(description).slice(0, 300);
  }
  // fetch says only "fetch failed"; why (an address refused, a connection refused, DNS) is its cause.
  const plain = networkProblem(e);
  if (plain) return plain;
  const cause = (e as { cause?: unknown } | null)?.cause;
  if (e instanceof TypeError && cause instanceof Error) return cause.message.slice(0, 300);
  return e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e).slice(0, 300);
}

/** Translates a failed GitLab call into a peer failure: retry later or give up now. */
export function gitlabFailure(e: unknown, what: string): PeerFailure {
  const refusedHost = hostRefused(e);
  if (refusedHost) return refusedHost.withMessage(`${what}: ${refusedHost.message}`);
  const status = statusOf(e);
  const refused = answerRefused(e);
  if (refused) return new PeerFailure({ peer: "gitlab", message: `${what}: ${refused.message}`, transient: false });
  const message = `${what}: GitLab ${status ?? "unreachable"}: ${gitlabMessage(e)}`;
  if (status === undefined) return new PeerFailure({ peer: "gitlab", message, transient: true });
  const response = (e as { cause?: { response?: Response } }).cause?.response;
  const retryAfter = e instanceof GitLabAnswerError ? e.retryAfter : response?.headers.get("retry-after");
  return peerStatusFailure("gitlab", status, message, parseRetryAfter(retryAfter));
}

/** The start of an answer's body (an error's message), the rest left unread. */
async function firstBytes(response: FetchResponse, max = 4096): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      chunks.push(chunk as Uint8Array);
      size += (chunk as Uint8Array).length;
      if (size >= max) break;
    }
  } catch {
    // the message is a courtesy: the status says enough
  }
  return Buffer.concat(chunks).subarray(0, max).toString("utf8");
}

/** A call made without gitbeaker (a streamed read) that GitLab answered with an error. */
export class GitLabAnswerError extends Error {
  constructor(
    readonly status: number,
    body: string,
    readonly retryAfter: string | null,
  ) {
    super(String(gitlabErrorText(body) ?? `HTTP ${status}`).slice(0, 300));
    this.name = "GitLabAnswerError";
  }
}

/** GitLab's `{"message": …}` or `{"error": …}`, if the body is that. */
function gitlabErrorText(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    const text = parsed.message ?? parsed.error;
    return text === undefined ? undefined : typeof text === "string" ? text : JSON.stringify(text);
  } catch {
    return body.trim() || undefined;
  }
}

export interface GitLabTokenInfo {
  name?: string;
  scopes?: string[];
  expires_at?: string | null;
  active?: boolean;
}
/** A project as GET /projects and /projects/:id show it; `mirror` and `import_url` only to Maintainers, and `mirror` only on Premium. */
export interface GitLabProjectDetails extends GitLabProject {
  name_with_namespace?: string;
  mirror?: boolean;
  mirror_trigger_builds?: boolean;
  import_url?: string | null;
  permissions?: {
    project_access?: { access_level: number } | null;
    group_access?: { access_level: number } | null;
  };
}
export interface GitLabHookDetails extends GitLabHook {
  alert_status?: string;
  disabled_until?: string | null;
  pipeline_events?: boolean;
  job_events?: boolean;
}
export interface GitLabNamespace {
  id: number;
  name: string;
  path: string;
  kind: "user" | "group";
  full_path: string;
  parent_id?: number | null;
  web_url?: string;
  /** GitLab.com shows the plan of namespaces the user manages: "free", "premium", "ultimate"… */
  plan?: string;
}
export interface NewGitLabProject {
  name: string;
  path: string;
  namespace_id: number;
  /** Left out for a push-sync project: the app pushes the repository's refs itself. */
  import_url?: string;
  mirror?: boolean;
  mirror_trigger_builds?: boolean;
  description?: string;
}

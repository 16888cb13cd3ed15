import { GitbeakerRequestError, Jobs, Pipelines, ProjectHooks, ProjectMembers, Projects, Users } from "@gitbeaker/rest";
import type { Agent } from "node:http";
import type { Dispatcher } from "undici";
import { TokenBucket } from "../core/token-bucket";
import { badRequest, parseRetryAfter, PeerFailure, peerStatusFailure, WorkDeferred } from "../errors";
import { answerRefused } from "../http/answer-refused";
import { hasDotSegment } from "./has-dot-segment";
import { boundedStrings } from "./bounded-strings";

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

  /** `dispatcher` carries every call: it caps answers and refuses redirects (see gitlab-dispatcher.ts). */
  constructor(host: string, token: string, timeoutMs: number, dispatcher: Dispatcher, budget = DEFAULT_BUDGET) {
    // gitbeaker types `agent` as an http.Agent but hands it to fetch as its undici dispatcher.
    const agent = dispatcher as unknown as Agent;
    this.api = resources({ host, token, queryTimeout: timeoutMs, rateLimits: RATE_LIMITS, agent });
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

  async removeHook(projectId: number, hookId: number): Promise<void> {
    await this.api.ProjectHooks.remove(projectId, hookId);
  }

  /** Asks GitLab to update the pull mirror now (gitbeaker's misnamed createPullMirror is this trigger). */
  async triggerMirror(projectId: number): Promise<void> {
    await this.api.requester.post(`projects/${projectId}/mirror/pull`);
  }

  /** A pipeline on an existing branch or tag (GitLab answers 400 "Reference not found" otherwise). */
  async createPipeline(projectId: number, ref: string): Promise<GitLabPipeline> {
    return (await this.api.requester.post(`projects/${projectId}/pipeline`, { body: { ref } })).body as unknown as GitLabPipeline;
  }

  mirror(projectId: number): Promise<GitLabMirror> {
    return this.api.Projects.showPullMirror(projectId) as unknown as Promise<GitLabMirror>;
  }

  /** The newest pipeline for a commit on a ref, if GitLab has one. */
  async newestPipeline(projectId: number, sha: string, ref: string): Promise<GitLabPipeline | null> {
    const list = (await this.api.Pipelines.all(projectId, {
      sha,
      ref,
      orderBy: "id",
      sort: "desc",
      perPage: 1,
      maxPages: 1,
    })) as unknown as GitLabPipeline[];
    if (!list[0]) return null;
    return this.pipeline(projectId, list[0].id);
  }

  pipeline(projectId: number, pipelineId: number): Promise<GitLabPipeline> {
    return this.api.Pipelines.show(projectId, pipelineId) as unknown as Promise<GitLabPipeline>;
  }

  /** The latest attempt of every job of the pipeline (retried attempts left out, as GitLab does). */
  jobs(projectId: number, pipelineId: number): Promise<GitLabJob[]> {
    return this.api.Jobs.all(projectId, { pipelineId, perPage: 100, maxPages: 10 }) as unknown as Promise<GitLabJob[]>;
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

  /** The pipeline's unit-test report (GitLab parses it from the jobs' JUnit artifacts; all tiers). */
  async testReport(projectId: number, pipelineId: number): Promise<unknown> {
    return (await this.api.requester.get(`projects/${projectId}/pipelines/${pipelineId}/test_report`)).body;
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
function resources(opts: { host: string; token: string; queryTimeout: number; rateLimits: typeof RATE_LIMITS; agent: Agent }) {
  const projects = new Projects(opts);
  const all = {
    Users: new Users(opts),
    Projects: projects,
    ProjectMembers: new ProjectMembers(opts),
    ProjectHooks: new ProjectHooks(opts),
    Pipelines: new Pipelines(opts),
    Jobs: new Jobs(opts),
  };
  for (const resource of Object.values(all)) boundAnswerStrings(resource.requester as unknown as Record<string, unknown>);
  return { ...all, requester: projects.requester };
}

/** Every answer's strings cut to a sane length where they enter, whichever resource asked (bounded-strings.ts). */
function boundAnswerStrings(requester: Record<string, unknown>): void {
  for (const method of ["get", "post", "put", "patch", "delete"]) {
    const call = requester[method] as (...args: unknown[]) => Promise<{ body: unknown }>;
    requester[method] = async (...args: unknown[]) => {
      const response = await call(...args);
      return { ...response, body: boundedStrings(response.body) };
    };
  }
}

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
  if (e instanceof GitbeakerRequestError) {
    const description = (e.cause as { description?: string } | undefined)?.description ?? e.message;
    return String(description).slice(0, 300);
  }
  // fetch says only "fetch failed"; why (an address refused, a connection refused, DNS) is its cause.
  const cause = (e as { cause?: unknown } | null)?.cause;
  if (e instanceof TypeError && cause instanceof Error) return cause.message.slice(0, 300);
  return e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e).slice(0, 300);
}

/** Translates a failed GitLab call into a peer failure: retry later or give up now. */
export function gitlabFailure(e: unknown, what: string): PeerFailure {
  const status = statusOf(e);
  const refused = answerRefused(e);
  if (refused) return new PeerFailure({ peer: "gitlab", message: `${what}: ${refused.message}`, transient: false });
  const message = `${what}: GitLab ${status ?? "unreachable"}: ${gitlabMessage(e)}`;
  if (status === undefined) return new PeerFailure({ peer: "gitlab", message, transient: true });
  const response = (e as { cause?: { response?: Response } }).cause?.response;
  return peerStatusFailure("gitlab", status, message, parseRetryAfter(response?.headers.get("retry-after")));
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
  /** Left out for a plain project the app pushes to (push sync). */
  import_url?: string;
  mirror?: boolean;
  mirror_trigger_builds?: boolean;
  description?: string;
}

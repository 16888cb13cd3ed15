// The simulator's data, kept close to GitLab's own records. Tests may read and mutate these objects
// directly (e.g. `project.mirrorPaused = true`); the REST API and the hook payloads are built from
// them on every call.

export type GitLabStatus =
  | "created"
  | "waiting_for_resource"
  | "preparing"
  | "waiting_for_callback"
  | "pending"
  | "running"
  | "success"
  | "failed"
  | "canceling"
  | "canceled"
  | "skipped"
  | "manual"
  | "scheduled";

export type AccessLevel = 10 | 20 | 30 | 40 | 50;

export interface SimUser {
  id: number;
  username: string;
  name: string;
}

export interface SimToken {
  token: string;
  user: SimUser;
  scopes: string[];
  expired: boolean;
  revoked: boolean;
}

export interface MirrorState {
  updateStatus: string; // none | scheduled | started | finished | failed
  lastError: string | null;
  lastUpdateAt: string | null;
  lastUpdateStartedAt: string | null;
  lastSuccessfulUpdateAt: string | null;
}

export interface SimProject {
  id: number;
  pathWithNamespace: string;
  /** GitLab's `visibility` (absent: private). */
  visibility?: "private" | "internal" | "public";
  webUrl: string;
  defaultBranch: string;
  /** The `mirror` column. GitLab only honours it on Premium: see `premium`. */
  mirror: boolean;
  /** GitLab's "hard failed" mirror: triggers answer 403 until it is reset. */
  mirrorPaused: boolean;
  mirrorTriggerBuilds: boolean;
  premium: boolean;
  /** The full import URL, credentials included (what GitLab's `project.import_url` returns internally). */
  importUrl?: string;
  /** The first import of a project created with an import_url: "finished" or "failed". */
  importStatus?: string;
  importError?: string | null;
  mirrorState: MirrorState;
  /**
   * `ci_pipeline_variables_minimum_override_role`: who may set pipeline variables. GitLab 18.0 made
   * "no_one_allowed" the default for new projects; the simulator keeps the older "developer".
   */
  pipelineVariablesRole?: "no_one_allowed" | "developer" | "maintainer" | "owner";
  /** `ci_config_path`: the top-level CI file when it is not `.gitlab-ci.yml`. */
  ciConfigPath?: string;
}

/** A group (a namespace projects can live in). Members of a group have that role on its projects too. */
export interface SimGroup {
  id: number;
  name: string;
  path: string;
  fullPath: string;
  parentId: number | null;
  /** The plan of the top-level group; without Premium, GitLab drops pull-mirror settings silently. */
  premium: boolean;
}

/**
 * Asked on every mirror update (and a project's first import) about the import URL: null when GitLab
 * could clone it, git's error message when not, undefined when the URL is none of the asker's business.
 */
export type MirrorCredentialCheck = (url: string | undefined) => string | null | undefined;

export interface SimHook {
  id: number;
  projectId: number;
  url: string;
  token?: string;
  pipelineEvents: boolean;
  jobEvents: boolean;
  pushEvents: boolean;
  enableSslVerification: boolean;
  /** Epoch ms; set by GitLab's back-off once a hook has failed 4 times in a row. */
  disabledUntil?: number;
  /** GitLab's `recent_failures`: consecutive failed deliveries, capped at 40. */
  failures: number;
  createdAt: string;
  /** The event flags we do not model (issues_events, tag_push_events, ...), as GitLab stored them. */
  otherEvents: Record<string, boolean>;
}

export interface SimJob {
  id: number;
  name: string;
  stage: string;
  status: GitLabStatus;
  allowFailure: boolean;
  when: string;
  startedAt?: string;
  finishedAt?: string;
  pipelineId: number;
  createdAt: string;
  queuedAt?: string;
  failureReason?: string;
  /** A retried job stays in the pipeline but is hidden from job lists and payloads by default. */
  retried: boolean;
  /**
   * Report artifacts by file type (`codequality`, `sast`, `junit`…): the file's name and its content.
   * GitLab serves a file through `GET /jobs/:id/artifacts/<path>` only when it is also under
   * `artifacts:paths` (`exposed`).
   */
  artifacts?: Array<{ fileType: string; filename: string; content: unknown; exposed: boolean }>;
}

export interface SimPipeline {
  id: number;
  iid: number;
  projectId: number;
  sha: string;
  beforeSha: string;
  ref: string;
  tag: boolean;
  status: GitLabStatus;
  source: string;
  name: string | null;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
  /** Seconds, as GitLab stores it when the pipeline finishes or blocks; null before that. */
  duration: number | null;
  jobs: SimJob[];
  user: SimUser;
  /** The pipeline's coverage (GitLab: the mean of its jobs' coverage), a string, or null. */
  coverage?: string | null;
  /** What `GET /pipelines/:id/test_report` answers (GitLab parses the jobs' JUnit artifacts). */
  testReport?: unknown;
  /** Variables given to `POST /projects/:id/pipeline`. */
  variables?: { key: string; value: string }[];
  /** `inputs` given to `POST /projects/:id/pipeline`, as received. */
  inputs?: Record<string, string | number | boolean | string[]>;
}

export type Fault =
  | { status: number; retryAfter?: number; body?: unknown }
  | { delayMs: number }
  /** The call is carried out at once; its answer leaves only this much later (a slow network back). */
  | { answerDelayMs: number }
  | { drop: true };

/** An injected fault that a call actually met, so a test can show its fault fired. */
export interface FiredFault {
  fault: Fault;
  method: string;
  path: string;
  at: number;
}

export type HookKind = "Pipeline Hook" | "Job Hook";

export interface Delivery {
  hookId: number;
  kind: string;
  status: number;
  at: number;
  idempotencyKey: string;
  eventUuid: string;
}

export interface ApiCall {
  method: string;
  path: string;
  status: number;
  at: number;
}

export type MirrorOutcome = "started" | "deferred" | "ignored_running";

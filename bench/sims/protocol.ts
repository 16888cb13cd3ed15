import type { Summary } from "../support/stats";

/** One linked repository, as the driver needs it to send signed traffic to the app and to the baseline. */
export interface LinkInfo {
  repoUuid: string;
  linkId: string;
  webhookSecret: string;
  /** A `repo:push` Connect webhook body (branch updated) for this repository. */
  pushBody: string;
  /** A Pipeline Hook body for a pipeline of this link's project that exists in the GitLab simulator, finished. */
  pipelineBody: string;
}

/** The installation (one workspace) and its linked repositories. */
export interface SetupInfo {
  clientKey: string;
  sharedSecret: string;
  links: LinkInfo[];
}

export interface RunOptions {
  /** Pipeline events per second, each for a new commit. */
  rate: number;
  seconds: number;
  /** How long to wait after the last hook for the statuses still on their way. */
  drainMs: number;
  /** How often to sample the backlog. */
  sampleMs: number;
  /** Hooks in flight at most; beyond that an event is counted as not sent (the generator is saturated). */
  maxInFlight: number;
}

export interface RunResult {
  rate: number;
  seconds: number;
  sent: number;
  /** Hooks the app answered 200. */
  accepted: number;
  /** Hooks answered otherwise or not at all. */
  refused: number;
  /** Events not sent because `maxInFlight` hooks were already waiting for an answer. */
  skipped: number;
  /** Statuses received during the sending window / after it, and never. */
  receivedInWindow: number;
  receivedAfter: number;
  lost: number;
  /** Send → the app's 200, ms. */
  hookMs: Summary;
  /** Send → Bitbucket simulator answered the status POST, ms. */
  e2eMs: Summary;
  /** The same, for statuses received during the sending window only. */
  e2eInWindowMs: Summary;
  /** Median end-to-end latency of each quarter of the window (growth shows a queue building up). */
  e2eP50ByQuarter: number[];
  /** Accepted hooks whose status has not arrived yet, sampled: seconds since start, count. */
  backlog: { x: number; y: number }[];
  /** Time from the last hook to the last status. */
  drainMs: number;
}

export interface SimCounters {
  statusPosts: number;
  gitlabCalls: number;
}

/** Two installations of one link each: one flooded, one at a steady rate, side by side. */
export interface NoisyOptions {
  seconds: number;
  noisyRate: number;
  quietRate: number;
  /** How long to wait after the window for the quiet installation's last statuses. */
  drainMs: number;
}

export interface NoisyResult {
  noisy: RunResult;
  quiet: RunResult;
}

/** One pipeline with a large test report, from its hook to all its reports on Bitbucket. */
export interface ReportsOptions {
  cases: number;
  failures: number;
  timeoutMs: number;
}

export interface ReportsRunResult extends ReportsOptions {
  /** The size of GitLab's test report answer. */
  reportBytes: number;
  annotations: number;
  /** Code Insights calls the app made (report PUTs, annotation POSTs, deletes), and how many were refused. */
  reportCalls: number;
  refused: number;
  hookToStatusMs: number;
  hookToReportsMs: number;
}

/** Push sync: one repository to set up in Bitbucket, linked with `sync: "push"` to a plain GitLab project. */
export interface PushSyncRepoSpec {
  name: string;
  /** A bare repository whose `main` becomes the Bitbucket repository's (through git's alternates), or none: one small commit. */
  sourceDir?: string;
}

export interface PushSyncSeriesOptions {
  name: string;
  /** Single-commit pushes to main, one after the other, each changing one file of `blobBytes` random bytes. */
  pushes: number;
  blobBytes: number;
  timeoutMs: number;
}

/** One single-commit push: repo:push → the ref in GitLab, → the pipeline created; what it sent and added. */
export interface PushSyncSample {
  refMs: number;
  pipelineMs: number;
  /** git-receive-pack request body bytes received by the GitLab simulator for this sync's push. */
  sentBytes: number;
  /** The size of the commit's new objects (commit, trees, blob), uncompressed. */
  newObjectBytes: number;
}

export interface PushSyncSeriesResult {
  /** The first sync (empty cache, empty GitLab project), when this series made it; newObjectBytes is the whole history. */
  first: PushSyncSample | null;
  pushes: PushSyncSample[];
}

export type Command =
  /** `hookUrls`: the app instances the end-to-end hooks go to in turn (the first, which links, when empty). */
  | { cmd: "setup"; appUrl: string; links: number; hookUrls?: string[] }
  | { cmd: "run"; opts: RunOptions }
  | { cmd: "noisy"; appUrl: string; opts: NoisyOptions }
  | { cmd: "reports"; opts: ReportsOptions }
  | { cmd: "pushSyncSetup"; appUrl: string; repos: PushSyncRepoSpec[] }
  | { cmd: "pushSyncSeries"; opts: PushSyncSeriesOptions }
  | { cmd: "counters" }
  | { cmd: "stop" };

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

import {
  coverageInsight,
  MAX_ANNOTATIONS,
  qualityInsight,
  reportId,
  securityInsight,
  testInsight,
  type Insight,
} from "../core/code-insights";
import type { GitLabFor } from "../gitlab/gitlab-clients";
import type { LinkCache } from "../links/link-cache";
import type { PublishedReports } from "../db/published-reports";
import { humanDuration } from "../core/human-duration";
import { PeerFailure, WorkAbandoned, WorkDeferred } from "../errors";
import { gitlabFailure, type GitLabApi, type GitLabJob, type GitLabPipeline } from "../gitlab/gitlab-api";
import type { FindInstallation, Installation } from "../installations/installation";
import type { Outbox } from "../outbox/outbox";
import type { TenantBudget } from "../outbox/tenant-budget";
import type { Deliverer } from "../outbox/worker";
import { pullRequestOfRef } from "../core/pull-request-ref";
import { safeText, LIMITS } from "../core/safe-text";
import type { Wakeup } from "./work";

export const PUBLISH_REPORTS = "publish-reports";

export interface PublishReportsPayload {
  linkId: string;
  sha: string;
  /** The pipeline's ref; for a merge-result pipeline the app's `bitbucket/pr-<id>`, `sha` then the source head. */
  ref: string;
  pipelineId: number;
  /** A merge-result pipeline's destination branch, named in its reports' titles. */
  mergeWith?: string;
  /** What the pipeline's jobs report, from the status sync that read them (absent on rows written before: read again). */
  jobs?: ReportJobs;
}

/** Which of a pipeline's jobs hold the report artifacts publishing reads: a few ids, not the job list. */
export interface ReportJobs {
  /** A job has a JUnit artifact: GitLab has a test report for the pipeline. */
  junit: boolean;
  codequality?: ReportJob;
  sast?: ReportJob;
}

interface ReportJob {
  id: number;
  webUrl: string;
}

const FINISHED = new Set(["success", "failed", "canceled"]);
const ANNOTATIONS_PER_REQUEST = 100;
/** Report files GitLab's CI templates write, by artifact type. */
const REPORT_FILES = { codequality: "gl-code-quality-report.json", sast: "gl-sast-report.json" } as const;
/** The artifact types a report is made from: GitLab builds the pipeline's test report from `junit` ones. */
const REPORT_ARTIFACTS = new Set(["junit", ...Object.keys(REPORT_FILES)]);

const JUNIT = new Set(["junit"]);

const hasArtifact = (jobs: GitLabJob[], types: ReadonlySet<string>) =>
  jobs.some((j) => j.artifacts?.some((a) => types.has(a.file_type)));

/**
 * Whether a finished pipeline has anything to publish: coverage, or a job with a JUnit, code-quality or
 * SAST artifact. Most pipelines have none, and then no publication is queued at all (it would cost a
 * delivery and two GitLab reads to find nothing).
 */
export function hasReports(pipeline: Pick<GitLabPipeline, "coverage">, jobs: GitLabJob[]): boolean {
  return (pipeline.coverage != null && pipeline.coverage !== "") || hasArtifact(jobs, REPORT_ARTIFACTS);
}

/** The report jobs among a pipeline's jobs. */
export function reportJobsOf(jobs: GitLabJob[]): ReportJobs {
  const out: ReportJobs = { junit: hasArtifact(jobs, JUNIT) };
  for (const type of ["codequality", "sast"] as const) {
    const job = jobs.find((j) => j.artifacts?.some((a) => a.file_type === type));
    if (job) out[type] = { id: job.id, webUrl: job.web_url };
  }
  return out;
}

/** Queues the reports of a finished pipeline (one waiting publication per commit and ref). */
export async function queueReports(
  c: { outbox: Outbox; wake: Wakeup },
  link: { id: string; clientKey: string },
  p: Omit<PublishReportsPayload, "linkId">,
) {
  const written = await c.outbox.enqueue<PublishReportsPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: PUBLISH_REPORTS,
    dedupeKey: `reports:${link.id}:${p.sha}:${p.ref}`,
    payload: { linkId: link.id, ...p },
  });
  if (written) c.wake.kick();
}

export interface PublishReportsCollaborators {
  linkCache: LinkCache;
  published: PublishedReports;
  budget: TenantBudget;
  findInstallation: FindInstallation;
  gitlab: GitLabFor;
  /** Calls of the installation's Bitbucket budget kept for statuses: reports wait rather than use them. */
  statusReserve: number;
  /** How long a publication may wait for that budget, from when it was queued, before it is dropped. */
  maxWaitMs: number;
}

/**
 * Publishes a finished pipeline's test report, coverage, code-quality and SAST findings as Code Insights
 * reports on its commit. Each report costs 1 + ceil(annotations / 100) calls (one more when it replaces
 * the same commit's report of an earlier run, deleted first so its annotations do not linger), drawn
 * from the installation's budget only while statuses keep their reserve.
 */
export const publishReports =
  (c: PublishReportsCollaborators): Deliverer =>
  async (item) => {
    const p = item.payload as unknown as PublishReportsPayload;
    // From the link cache intake and status syncs keep warm (10 s); read afresh below if GitLab refuses the token.
    let link = await c.linkCache.get(p.linkId);
    if (!link?.reports) return "reports are off for this link";
    const installation = await c.findInstallation(link.clientKey);
    if (!installation) return;
    // The pipeline, its test report, its jobs (unless the payload says what they report) and up to two
    // report files: counted against the token's GitLab budget first, like every queued GitLab call (the
    // work waits rather than holding a slot).
    c.gitlab(link.gitlabUrl, link.token, link.clientKey).admit(p.jobs ? 4 : 5);
    let read: Awaited<ReturnType<typeof readPipeline>>;
    try {
      read = await readPipeline(c.gitlab(link.gitlabUrl, link.token, link.clientKey), link.projectId, p);
    } catch (e) {
      // A refused token may just have been replaced (possibly through another instance): read the link once more.
      const fresh =
        e instanceof PeerFailure && (e.status === 401 || e.status === 403) ? await c.linkCache.get(p.linkId, true) : null;
      if (!fresh || fresh.token === link.token) throw e;
      link = fresh;
      read = await readPipeline(c.gitlab(link.gitlabUrl, link.token, link.clientKey), link.projectId, p);
    }
    const { pipeline, insights } = read;
    if (!FINISHED.has(pipeline.status)) return `pipeline #${pipeline.id} is ${pipeline.status}: reports wait for it to finish`;

    if (insights.length === 0) return `pipeline #${pipeline.id} has no reports to publish`;
    // A merge-result pipeline's reports go on the pull request's source head under ids of that pull
    // request: the branch pipeline's reports on the same commit are neither replaced nor compared with.
    const prId = pullRequestOfRef(p.ref);
    const projectId = link.projectId;
    const previous = new Map(
      [...(await c.published.forCommit(link.id, p.sha))].filter(([id]) => sameFamily(id, projectId, prId)),
    );
    if ([...previous.values()].some((r) => r.pipelineId > pipeline.id))
      return `a newer pipeline's reports are already on ${p.sha.slice(0, 12)}`;
    const calls = insights.reduce((n, i) => n + 1 + Math.ceil(i.annotations.length / ANNOTATIONS_PER_REQUEST), 0) + previous.size;
    const wait = await c.budget.headroom(installation.key, calls, c.statusReserve);
    if (wait > 0) {
      // Reports are worth less the longer they wait, and a queue of them would only grow while the budget
      // stays low: past maxWaitMs they are given up, which the settings page shows as a failed delivery
      // (with a re-send) and the link's activity as "failed".
      const waited = Date.now() - item.createdAt;
      if (waited + wait > c.maxWaitMs)
        throw new WorkAbandoned(
          `Reports dropped: the installation's Bitbucket budget stayed too low (${calls} calls needed, ` +
            `${c.statusReserve} kept for statuses) for ${humanDuration((waited + wait) / 1000)}`,
        );
      throw new WorkDeferred("reports wait: the Bitbucket budget left is kept for statuses", wait);
    }

    const done: string[] = [];
    for (const insight of insights) {
      const id = reportId(link.projectId, insight.kind, prId);
      const prior = previous.get(id);
      if (prior?.pipelineId === pipeline.id) continue; // published already (a retry after a partial run)
      const shown = p.mergeWith ? mergeResult(insight, p.mergeWith) : insight;
      await publish(c, installation, link.repoUuid, p.sha, id, shown, !!prior);
      await c.published.record({
        linkId: link.id,
        sha: p.sha,
        reportId: id,
        pipelineId: pipeline.id,
        result: insight.report.result,
        annotations: insight.annotations.length,
        ref: p.ref,
        publishedAt: Date.now(),
      });
      done.push(`${insight.report.report_type} ${insight.report.result} (${insight.annotations.length} annotations)`);
    }
    return done.length
      ? `reports of pipeline #${pipeline.id}: ${done.join(", ")}`
      : `pipeline #${pipeline.id} has no reports to publish`;
  };

/** Whether a recorded report id is of the same pipelines as this one's: the branch's, or this pull request's. */
function sameFamily(id: string, projectId: number, prId: number | null): boolean {
  const prefix = prId == null ? `gitlab-${projectId}-` : `gitlab-${projectId}-pr${prId}-`;
  return id.startsWith(prefix) && (prId != null || !id.slice(prefix.length).startsWith("pr"));
}

/** A merge-result pipeline's report says so in its title, as its build status does. */
const mergeResult = (insight: Insight, destination: string): Insight => ({
  ...insight,
  report: { ...insight.report, title: safeText(`${insight.report.title} (merge result with ${destination})`, LIMITS.title) },
});

async function publish(
  c: Pick<PublishReportsCollaborators, "budget">,
  installation: Installation,
  repoUuid: string,
  sha: string,
  id: string,
  insight: Insight,
  replacing: boolean,
): Promise<void> {
  const ws = installation.workspaceUuid;
  const bitbucket = installation.insights;
  const spend = <T>(call: () => Promise<T>) => c.budget.spend(installation.key, call);
  if (replacing) await spend(() => bitbucket.deleteReport(ws, repoUuid, sha, id));
  await spend(() => bitbucket.putReport(ws, repoUuid, sha, id, insight.report));
  for (let i = 0; i < insight.annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    const batch = insight.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST);
    await spend(() => bitbucket.postAnnotations(ws, repoUuid, sha, id, batch));
  }
}

/** The pipeline and, once it has finished, what it reports. */
async function readPipeline(api: GitLabApi, projectId: number, p: Pick<PublishReportsPayload, "pipelineId" | "jobs">) {
  const pipeline = await read(() => api.pipeline(projectId, p.pipelineId), "Reading the pipeline");
  if (!FINISHED.has(pipeline.status)) return { pipeline, insights: [] };
  const jobs = p.jobs ?? reportJobsOf(await read(() => api.jobs(projectId, pipeline.id), "Reading the pipeline's jobs"));
  return { pipeline, insights: await gather(api, projectId, pipeline, jobs) };
}

/** Everything GitLab has for the pipeline: test report, coverage, and the report files its jobs expose. */
async function gather(api: GitLabApi, projectId: number, pipeline: GitLabPipeline, jobs: ReportJobs): Promise<Insight[]> {
  const ref = { id: pipeline.id, webUrl: pipeline.web_url };
  const out: Insight[] = [];
  // GitLab's test report is made of its jobs' JUnit artifacts: without one there is nothing to read.
  // Streamed: only the failed cases Bitbucket can show are kept, the passing thousands are read and dropped.
  if (jobs.junit) {
    const report = await read(() => api.failedTests(projectId, pipeline.id, MAX_ANNOTATIONS), "Reading the test report");
    const tests = testInsight(report, ref);
    if (tests) out.push(tests);
  }
  const coverage = coverageInsight(pipeline.coverage, ref);
  if (coverage) out.push(coverage);
  const quality = await reportFile(api, projectId, jobs, "codequality");
  if (quality) out.push(qualityInsight(quality.findings as never[], ref, quality.job.webUrl));
  const sast = await reportFile(api, projectId, jobs, "sast");
  if (sast) {
    const vulnerabilities = (sast.findings as { vulnerabilities?: unknown[] }).vulnerabilities ?? [];
    out.push(securityInsight(vulnerabilities as never[], ref, sast.job.webUrl));
  }
  return out;
}

async function reportFile(api: GitLabApi, projectId: number, jobs: ReportJobs, type: keyof typeof REPORT_FILES) {
  const job = jobs[type];
  if (!job) return null;
  const findings = await read(() => api.artifactJson(projectId, job.id, REPORT_FILES[type]), `Reading ${REPORT_FILES[type]}`);
  return findings == null ? null : { job, findings };
}

async function read<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw gitlabFailure(e, what);
  }
}

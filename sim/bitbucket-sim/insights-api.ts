import express, { type NextFunction, type Request, type Response } from "express";
import { accessTokenProblem } from "./access-tokens";
import { sameUuid } from "./ids";
import type { Installation, SimState } from "./state";
import type { ApiCall } from "./types";
import { applyFault, verifyBearer } from "./status-api";
import { verifyAppToken } from "./verify-app-token";

/** A Code Insights report as the simulator keeps it, with its annotations by external id. */
export interface StoredReport {
  repoUuid: string;
  sha: string;
  reportId: string;
  body: Record<string, unknown>;
  annotations: Map<string, Record<string, unknown>>;
  postedBy: string;
}

const REPORT_TYPES = ["SECURITY", "COVERAGE", "TEST", "BUG"];
const RESULTS = ["PASSED", "FAILED", "PENDING"];
const DATA_TYPES = ["BOOLEAN", "DATE", "DURATION", "LINK", "NUMBER", "PERCENTAGE", "TEXT"];
const ANNOTATION_TYPES = ["VULNERABILITY", "CODE_SMELL", "BUG"];
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];
const ANNOTATION_RESULTS = ["PASSED", "FAILED", "SKIPPED", "IGNORED"];
/** Cloud documents no length caps; Bitbucket answers "The summary field cannot contain more than 450
 * characters", and Data Center's caps (title 450, details 2000) are the safe ones DESIGN.md names. */
const MAX = { title: 450, details: 2000, summary: 450 };
/** What each data type's value must be (DATE and DURATION in milliseconds). */
const DATA_VALUES: Record<string, (v: unknown) => boolean> = {
  BOOLEAN: (v) => typeof v === "boolean",
  DATE: (v) => Number.isFinite(v),
  DURATION: (v) => Number.isFinite(v) && (v as number) >= 0,
  LINK: (v) =>
    !!v &&
    typeof v === "object" &&
    typeof (v as { text?: unknown }).text === "string" &&
    /^https?:\/\//.test(String((v as { href?: unknown }).href)),
  NUMBER: (v) => Number.isFinite(v),
  PERCENTAGE: (v) => Number.isFinite(v) && (v as number) >= 0 && (v as number) <= 100,
  TEXT: (v) => typeof v === "string",
};
const tooLong = (v: unknown, max: number) => typeof v === "string" && v.length > max;
const COMMIT = /^[0-9a-f]{40}$/i;

/**
 * Bitbucket's Code Insights routes under `/2.0/repositories/{ws}/{repo}/commit/{sha}/reports`: PUT, GET
 * and DELETE a report, POST its annotations in bulk, with the documented validation (`data` ≤ 10 items of
 * the listed types, 1–100 annotations per request, ≤ 1,000 per report, the enums). The documented auth is
 * an OAuth bearer token (an app's access token); a Connect JWT is accepted too, as for statuses.
 */
export function insightsApi(state: SimState, reports: Map<string, StoredReport>): express.Router {
  const api = express.Router();
  const base = "/repositories/:workspace/:repo/commit/:commit/reports/:reportId";
  api.use(base, authenticate(state), applyFault(state, state.insightFaults), express.json({ limit: "2mb" }));

  api.put(base, (req, res) => {
    const t = target(state, req, res);
    if (!t) return;
    const problem = reportProblem(req.body);
    if (problem) return refuse(res, 400, problem);
    const existing = reports.get(t.key);
    // Replacing a report keeps nothing of the old one's annotations only if it is deleted first: what
    // Bitbucket Cloud does with them on a bare PUT is not documented, so the simulator keeps them.
    reports.set(t.key, {
      repoUuid: t.repoUuid,
      sha: t.sha,
      reportId: t.reportId,
      body: req.body,
      annotations: existing?.annotations ?? new Map(),
      postedBy: t.installation.tenant.clientKey,
    });
    answer(res, 200, { uuid: `{${t.reportId}}`, ...req.body });
  });

  api.get(base, (req, res) => {
    const t = target(state, req, res);
    if (!t) return;
    const report = reports.get(t.key);
    if (!report) return refuse(res, 404, "Report not found");
    answer(res, 200, report.body);
  });

  api.delete(base, (req, res) => {
    const t = target(state, req, res);
    if (!t) return;
    reports.delete(t.key);
    (res.locals.call as ApiCall).status = 204;
    res.status(204).end();
  });

  api.post(`${base}/annotations`, (req, res) => {
    const t = target(state, req, res);
    if (!t) return;
    const report = reports.get(t.key);
    if (!report) return refuse(res, 404, "Report not found");
    const list = req.body as unknown;
    if (!Array.isArray(list) || list.length < 1 || list.length > 100) {
      return refuse(res, 400, "Send between 1 and 100 annotations per request");
    }
    for (const a of list) {
      const problem = annotationProblem(a);
      if (problem) return refuse(res, 400, problem);
    }
    const ids = new Set([...report.annotations.keys(), ...list.map((a: { external_id: string }) => a.external_id)]);
    if (ids.size > 1000) return refuse(res, 400, "A report can have at most 1000 annotations");
    for (const a of list as Array<Record<string, unknown>>) report.annotations.set(String(a.external_id), a);
    answer(res, 200, list);
  });

  return api;
}

function reportProblem(body: unknown): string | null {
  const r = body as Record<string, unknown> | null;
  if (!r || typeof r !== "object") return "A report body is required";
  if (typeof r.title !== "string" || !r.title) return "title is required";
  if (tooLong(r.title, MAX.title)) return `The title field cannot contain more than ${MAX.title} characters.`;
  if (r.details !== undefined && typeof r.details !== "string") return "details must be a string";
  if (tooLong(r.details, MAX.details)) return `The details field cannot contain more than ${MAX.details} characters.`;
  if (!REPORT_TYPES.includes(String(r.report_type))) return "report_type must be one of SECURITY, COVERAGE, TEST, BUG";
  if (r.result !== undefined && !RESULTS.includes(String(r.result))) return "result must be PASSED, FAILED or PENDING";
  if (r.data !== undefined) {
    if (!Array.isArray(r.data) || r.data.length > 10) return "data may hold at most 10 items";
    for (const d of r.data as Array<Record<string, unknown>>) {
      if (!d || !DATA_TYPES.includes(String(d.type)) || typeof d.title !== "string")
        return "each data item needs a title and a valid type";
      if (!DATA_VALUES[String(d.type)]!(d.value))
        return d.type === "PERCENTAGE"
          ? "a PERCENTAGE is 0 to 100"
          : `the value of data item "${d.title}" is not a valid ${d.type}`;
    }
  }
  return null;
}

function annotationProblem(a: Record<string, unknown>): string | null {
  if (!a || typeof a !== "object") return "each annotation must be an object";
  if (typeof a.external_id !== "string" || !a.external_id) return "external_id is required";
  if (!ANNOTATION_TYPES.includes(String(a.annotation_type))) return "annotation_type must be VULNERABILITY, CODE_SMELL or BUG";
  if (typeof a.summary !== "string" || !a.summary) return "summary is required";
  if (tooLong(a.summary, MAX.summary)) return `The summary field cannot contain more than ${MAX.summary} characters.`;
  if (tooLong(a.details, MAX.details)) return `The details field cannot contain more than ${MAX.details} characters.`;
  if (a.result !== undefined && !ANNOTATION_RESULTS.includes(String(a.result)))
    return "result must be PASSED, FAILED, SKIPPED or IGNORED";
  if (a.severity !== undefined && !SEVERITIES.includes(String(a.severity)))
    return "severity must be CRITICAL, HIGH, MEDIUM or LOW";
  if (a.line !== undefined && (!Number.isInteger(a.line) || (a.line as number) < 1)) return "line must be a positive integer";
  return null;
}

function authenticate(state: SimState) {
  return (req: Request, res: Response, next: NextFunction) => {
    const call: ApiCall = { method: req.method, path: req.originalUrl.split("?")[0]!, status: 0, at: Date.now() };
    state.apiCalls.push(call);
    res.locals.call = call;
    const bearer = /^Bearer (\S+)$/.exec(req.get("authorization") ?? "")?.[1];
    if (bearer && !state.accessTokens.has(bearer)) {
      // A Forge app system token.
      const verified = verifyBearer(req, state);
      if (!verified.ok) return refuse(res, 401, verified.message);
      res.locals.installation = verified.installation;
      call.clientKey = verified.installation.tenant.clientKey;
      call.auth = "forge";
      return next();
    }
    if (bearer) {
      const problem = accessTokenProblem(state, bearer);
      if (problem) return refuse(res, 401, `Invalid access token: ${problem}`);
      const issued = state.accessTokens.get(bearer)!;
      res.locals.installation = state.installations.get(issued.clientKey);
      call.clientKey = issued.clientKey;
      call.auth = "access-token";
      return next();
    }
    const verified = verifyAppToken(req, state);
    if (!verified.ok) return refuse(res, 401, verified.message);
    res.locals.installation = verified.installation;
    call.clientKey = verified.installation.tenant.clientKey;
    call.auth = "jwt";
    next();
  };
}

function target(state: SimState, req: Request, res: Response) {
  const installation = res.locals.installation as Installation;
  const own = installation.tenant.workspace;
  const { workspace, repo: repoParam, commit, reportId } = req.params as Record<string, string>;
  const names = (param: string, id: { uuid: string; slug: string }) =>
    param.startsWith("{") ? sameUuid(param, id.uuid) : param === id.slug;
  const repo = names(workspace!, own)
    ? [...state.repos.values()].find((r) => r.workspace.uuid === own.uuid && names(repoParam!, r))
    : undefined;
  if (!repo) return void refuse(res, 404, `Repository ${workspace}/${repoParam} not found`);
  if (!COMMIT.test(commit!)) return void refuse(res, 404, `Commit ${commit} not found`);
  const sha = commit!.toLowerCase();
  return { installation, repoUuid: repo.uuid, sha, reportId: reportId!, key: `${repo.uuid}:${sha}:${reportId}` };
}

function answer(res: Response, status: number, body: unknown): void {
  (res.locals.call as ApiCall).status = status;
  res.status(status).json(body);
}

function refuse(res: Response, status: number, message: string): void {
  if (res.locals.call) (res.locals.call as ApiCall).error = message;
  answer(res, status, { type: "error", error: { message } });
}

import { Router, type Request } from "express";
import { badRequest, currentUser, invalidParams, notFound, paginate, params, str, userProject } from "../api-helpers";
import * as entities from "../ci-entities";
import { checkInputs, pipelineInputs } from "../pipeline-inputs";
import { createPipeline, setJobStatus, setPipelineStatus } from "../pipelines";
import type { SimState } from "../sim-state";
import type { SimJob, SimPipeline, SimProject, SimUser } from "../types";

const REPORTER = 20;
const DEVELOPER = 30;
const ORDERS = ["id", "status", "ref", "updated_at", "user_id"] as const;
const FINISHED = ["success", "failed", "canceled", "skipped"];

export function pipelineRoutes(state: SimState): Router {
  const router = Router();

  router.get("/projects/:id/pipelines", (req, res) => {
    const project = userProject(state, req, res, REPORTER);
    res.json(paginate(state, req, res, listPipelines(state, project, req)).map((p) => entities.pipelineBasic(state, p)));
  });

  // Ci::CreatePipelineService from the API: only on an existing branch or tag (a custom refs/... name
  // is "Reference not found"), source "api", as the token's user.
  router.post("/projects/:id/pipeline", async (req, res, next) => {
    try {
      const project = userProject(state, req, res, DEVELOPER);
      const ref = str(params(req).ref);
      if (!ref) throw invalidParams("ref is missing");
      const repo = await state.repos!.get(project);
      const branch = await repo.resolve(`refs/heads/${ref}^{commit}`);
      const tag = branch ? null : await repo.resolve(`refs/tags/${ref}^{commit}`);
      if (!branch && !tag) throw badRequest({ base: ["Reference not found"] });
      const variables = pipelineVariables(params(req).variables);
      if (variables.length > 0 && !mayOverrideVariables(state, project, currentUser(res)))
        throw badRequest({ base: ["Insufficient permissions to set pipeline variables"] });
      const inputs = pipelineInputs(params(req).inputs);
      if (inputs) await checkInputs(repo, project, (branch ?? tag)!, inputs);
      const pipeline = createPipeline(state, project, {
        sha: (branch ?? tag)!,
        ref,
        tag: !branch,
        user: currentUser(res),
        source: "api",
      });
      if (variables.length > 0) pipeline.variables = variables;
      if (inputs) pipeline.inputs = inputs;
      res.status(201).json(entities.pipeline(state, pipeline));
    } catch (e) {
      next(e);
    }
  });

  // Ci::CancelPipelineService: jobs not finished are canceled, and the pipeline with them.
  router.post("/projects/:id/pipelines/:pipeline_id/cancel", (req, res) => {
    const project = userProject(state, req, res, DEVELOPER);
    const pipeline = findPipeline(state, project, req.params.pipeline_id);
    if (!FINISHED.includes(pipeline.status)) {
      for (const job of pipeline.jobs)
        if (!FINISHED.includes(job.status) && job.status !== "manual") setJobStatus(state, job, "canceled");
      setPipelineStatus(state, pipeline, "canceled");
    }
    res.status(201).json(entities.pipeline(state, pipeline));
  });

  router.get("/projects/:id/pipelines/:pipeline_id", (req, res) => {
    const project = userProject(state, req, res, REPORTER);
    res.json(entities.pipeline(state, findPipeline(state, project, req.params.pipeline_id)));
  });

  // Newest first; a retried job is hidden unless include_retried=true.
  router.get("/projects/:id/pipelines/:pipeline_id/jobs", (req, res) => {
    const project = userProject(state, req, res, REPORTER);
    const pipeline = findPipeline(state, project, req.params.pipeline_id);
    const withRetried = req.query.include_retried === "true";
    const jobs = scoped(
      pipeline.jobs.filter((j) => withRetried || !j.retried),
      req,
    ).sort((a, b) => b.id - a.id);
    res.json(paginate(state, req, res, jobs).map((j) => entities.job(state, j)));
  });

  router.get("/projects/:id/jobs", (req, res) => {
    const project = userProject(state, req, res, REPORTER);
    const jobs = [...state.jobs.values()].filter((j) => state.pipelineOf(j).projectId === project.id);
    res.json(
      paginate(
        state,
        req,
        res,
        scoped(jobs, req).sort((a, b) => b.id - a.id),
      ).map((j) => entities.job(state, j)),
    );
  });

  // The pipeline's unit-test report, parsed by GitLab from its jobs' JUnit artifacts (all tiers).
  router.get("/projects/:id/pipelines/:pipeline_id/test_report", (req, res) => {
    const project = userProject(state, req, res, REPORTER);
    const pipeline = findPipeline(state, project, req.params.pipeline_id);
    res.json(
      pipeline.testReport ?? {
        total_time: 0,
        total_count: 0,
        success_count: 0,
        failed_count: 0,
        skipped_count: 0,
        error_count: 0,
        test_suites: [],
      },
    );
  });

  // One file of a job's artifacts archive: served only when the CI config lists it under artifacts:paths.
  router.get("/projects/:id/jobs/:job_id/artifacts/*", (req, res) => {
    const project = userProject(state, req, res, REPORTER);
    const job = state.jobs.get(Number(req.params.job_id));
    if (!job || state.pipelineOf(job).projectId !== project.id) throw notFound();
    const file = (job.artifacts ?? []).find((a) => a.exposed && a.filename === (req.params as Record<string, string>)[0]);
    if (!file) throw notFound("File");
    res.type("application/octet-stream").send(Buffer.from(JSON.stringify(file.content)));
  });

  router.get("/projects/:id/jobs/:job_id", (req, res) => {
    const project = userProject(state, req, res, REPORTER);
    const job = state.jobs.get(Number(req.params.job_id));
    if (!job || state.pipelineOf(job).projectId !== project.id) throw notFound();
    res.json(entities.job(state, job));
  });

  return router;
}

function findPipeline(state: SimState, project: SimProject, id: string | undefined): SimPipeline {
  const pipeline = state.pipelines.get(Number(id));
  if (!pipeline || pipeline.projectId !== project.id) throw notFound();
  return pipeline;
}

function listPipelines(state: SimState, project: SimProject, req: Request): SimPipeline[] {
  const q = req.query;
  const orderBy = (q.order_by ?? "id") as (typeof ORDERS)[number];
  if (!ORDERS.includes(orderBy)) throw invalidParams("order_by does not have a valid value");
  const sort = q.sort ?? "desc";
  if (sort !== "asc" && sort !== "desc") throw invalidParams("sort does not have a valid value");
  let list = [...state.pipelines.values()].filter((p) => p.projectId === project.id);
  if (typeof q.sha === "string") list = list.filter((p) => p.sha === q.sha);
  if (typeof q.ref === "string") list = list.filter((p) => p.ref === q.ref);
  if (typeof q.status === "string") list = list.filter((p) => p.status === q.status);
  if (typeof q.source === "string") list = list.filter((p) => p.source === q.source);
  if (typeof q.username === "string") list = list.filter((p) => p.user.username === q.username);
  // GitLab: `updated_at > updated_after` (exclusive), ISO 8601.
  if (typeof q.updated_after === "string") {
    const after = Date.parse(q.updated_after);
    if (Number.isNaN(after)) throw invalidParams("updated_after is invalid");
    list = list.filter((p) => Date.parse(p.updatedAt) > after);
  }
  if (q.scope === "running" || q.scope === "pending") list = list.filter((p) => p.status === q.scope);
  if (q.scope === "finished") list = list.filter((p) => FINISHED.includes(p.status));
  if (q.scope === "tags") list = list.filter((p) => p.tag);
  // "branches": the latest pipeline of each branch.
  if (q.scope === "branches") {
    list = list.filter((p) => !p.tag && !list.some((o) => !o.tag && o.ref === p.ref && o.id > p.id));
  }
  const key = (p: SimPipeline): string | number =>
    orderBy === "user_id" ? p.user.id : orderBy === "updated_at" ? Date.parse(p.updatedAt) : orderBy === "id" ? p.id : p[orderBy];
  const direction = sort === "asc" ? 1 : -1;
  return list.sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : b.id - a.id));
}

/** `scope` (one status or `scope[]=` several) filters jobs by status. */
function scoped(jobs: SimJob[], req: Request): SimJob[] {
  const scope = req.query.scope;
  const wanted = Array.isArray(scope) ? scope.map(String) : typeof scope === "string" ? [scope] : null;
  return wanted ? jobs.filter((j) => wanted.includes(j.status)) : jobs;
}

/** `variables` as the API takes them: `[{key, value, variable_type}]`. */
function pipelineVariables(raw: unknown): { key: string; value: string }[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalidParams("variables is invalid");
  return raw.map((v: { key?: unknown; value?: unknown }) => {
    if (typeof v?.key !== "string" || typeof v.value !== "string") throw invalidParams("variables is invalid");
    return { key: v.key, value: v.value };
  });
}

const ROLE_LEVEL = { developer: 30, maintainer: 40, owner: 50 } as const;

function mayOverrideVariables(state: SimState, project: SimProject, user: SimUser): boolean {
  const role = project.pipelineVariablesRole ?? "developer";
  return role !== "no_one_allowed" && state.accessLevel(project, user) >= ROLE_LEVEL[role];
}

import express, { type NextFunction, type Request, type Response } from "express";
import { bitbucketTime, bracedUuid, sameUuid } from "./ids";
import type { Installation, SimState, StoredStatus } from "./state";
import { statusId } from "./state";
import { fieldErrorMessage, parseStatusBody, statusView } from "./status-body";
import { accessTokenProblem } from "./access-tokens";
import type { ApiCall, Fault, SimRepo, SimTenant } from "./types";
import { verifyAppToken, type Verification } from "./verify-app-token";

const COMMIT = /^[0-9a-f]{40}$/i;
/** A Connect app's scopes are its descriptor's; each of these grants read access to repositories. */
const REPOSITORY_SCOPES = ["repository", "repository:write", "repository:admin", "repository:delete"];

/** The `/2.0` REST API: commit build statuses, authenticated as Bitbucket authenticates Connect apps. */
export function statusApi(state: SimState): express.Router {
  const api = express.Router();
  api.use(recordCall(state), applyFault(state), authenticate(state), express.json());

  // The repository itself (the few fields the app reads): how a Forge app learns `full_name` from uuids.
  api.get("/repositories/:workspace/:repo", (req, res) => {
    const target = resolveRepository(state, req, res);
    if (!target) return;
    const { repo } = target;
    answer(res, 200, {
      type: "repository",
      uuid: repo.uuid,
      slug: repo.slug,
      full_name: repo.fullName,
      is_private: repo.isPrivate ?? true,
      workspace: { type: "workspace", uuid: repo.workspace.uuid, slug: repo.workspace.slug },
    });
  });

  api.post("/repositories/:workspace/:repo/commit/:commit/statuses/build", (req, res) => {
    const target = resolveCommit(state, req, res);
    if (!target) return;
    const parsed = parseStatusBody(req.body);
    if (!parsed.ok) return refuse(res, 400, fieldErrorMessage(parsed.fields), { fields: parsed.fields });
    const { installation, repo, sha } = target;
    const input = parsed.value;
    const id = statusId(repo.uuid, sha, input.key);
    const existing = state.statuses.get(id);
    // Since 2021-05-21 only the creator of a status may overwrite it (repository admins excepted, which an app
    // is not). Bitbucket's notice names no status code; 403 is what it answers for other permission refusals.
    if (existing && existing.postedBy !== installation.tenant.clientKey) {
      return refuse(res, 403, "Only the creator of this build status may overwrite it");
    }
    const now = bitbucketTime();
    const status: StoredStatus = {
      uuid: existing?.uuid ?? bracedUuid(),
      repoUuid: repo.uuid,
      sha,
      ...input,
      createdOn: existing?.createdOn ?? now,
      updatedOn: now,
      postedBy: installation.tenant.clientKey,
      updates: existing ? existing.updates + 1 : 0,
    };
    state.statuses.set(id, status);
    answer(res, existing ? 200 : 201, statusView(status, repo, hosts(state)));
  });

  // A pull request's commits, newest first (full hashes, a fork's included): the sim knows its source head.
  api.get("/repositories/:workspace/:repo/pullrequests/:id/commits", (req, res) => {
    const target = resolveRepository(state, req, res);
    if (!target) return;
    const pr = state.pullRequests.get(`${target.repo.uuid}#${req.params.id}`);
    if (!pr) return refuse(res, 404, "Pull request not found");
    answer(res, 200, { pagelen: 1, values: [{ type: "commit", hash: pr.sourceHead }] });
  });

  api.get("/repositories/:workspace/:repo/commit/:commit/statuses/build/:key", (req, res) => {
    const target = resolveCommit(state, req, res);
    if (!target) return;
    const status = state.statuses.get(statusId(target.repo.uuid, target.sha, String(req.params.key)));
    if (!status) return refuse(res, 404, "Build status not found");
    answer(res, 200, statusView(status, target.repo, hosts(state)));
  });

  api.get("/repositories/:workspace/:repo/commit/:commit/statuses", (req, res) => {
    const target = resolveCommit(state, req, res);
    if (!target) return;
    const refname = req.query.refname;
    const all = [...state.statuses.values()].filter(
      (s) => s.repoUuid === target.repo.uuid && s.sha === target.sha && (refname === undefined || s.refname === refname),
    );
    const pagelen = Math.min(Math.max(Number(req.query.pagelen) || 10, 1), 100);
    const page = Math.max(Number(req.query.page) || 1, 1);
    const values = all.slice((page - 1) * pagelen, page * pagelen).map((s) => statusView(s, target.repo, hosts(state)));
    const body: Record<string, unknown> = { pagelen, size: all.length, page, values };
    if (page * pagelen < all.length) {
      const next = new URL(state.apiBaseUrl + req.originalUrl);
      next.searchParams.set("page", String(page + 1));
      body.next = next.toString();
    }
    answer(res, 200, body);
  });

  api.use((_req, res) => refuse(res, 404, "Resource not found"));
  api.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    refuse(res, err.status && err.status < 500 ? err.status : 400, `Bad request: ${err.message}`);
  });
  return api;
}

const hosts = (state: SimState) => ({ web: state.baseUrl, api: state.apiBaseUrl });

function answer(res: Response, status: number, body: unknown): void {
  (res.locals.call as ApiCall).status = status;
  res.status(status).json(body);
}

/** Bitbucket's error body: `{"type": "error", "error": {"message": ...}}`. */
function refuse(res: Response, status: number, message: string, extra: object = {}): void {
  (res.locals.call as ApiCall).error = message;
  answer(res, status, { type: "error", error: { message, ...extra } });
}

function recordCall(state: SimState) {
  return (req: Request, res: Response, next: NextFunction) => {
    const call: ApiCall = { method: req.method, path: req.originalUrl.split("?")[0], status: 0, at: Date.now() };
    state.apiCalls.push(call);
    res.locals.call = call;
    next();
  };
}

/** Faults stand in for the platform's edge (rate limiter, outage, network), so they come before authentication. */
export function applyFault(state: SimState, faults: Fault[] = state.faults) {
  return (req: Request, res: Response, next: NextFunction) => {
    const fault = faults.shift();
    if (!fault) return next();
    state.firedFaults.push({ fault, method: req.method, path: req.originalUrl.split("?")[0]!, at: Date.now() });
    if ("drop" in fault) {
      (res.locals.call as ApiCall).error = "connection dropped (injected fault)";
      req.socket.destroy();
      return;
    }
    if ("delayMs" in fault) return void setTimeout(next, fault.delayMs);
    if (fault.retryAfter !== undefined) res.set("Retry-After", String(fault.retryAfter));
    const message = fault.status === 429 ? "Rate limit for this resource has been exceeded" : "Injected fault";
    (res.locals.call as ApiCall).error = message;
    answer(res, fault.status, fault.body ?? { type: "error", error: { message } });
  };
}

function authenticate(state: SimState) {
  return (req: Request, res: Response, next: NextFunction) => {
    // Bearer: an access token from the JWT grant (Connect), or a Forge app system token.
    const bearer = /^Bearer (\S+)$/.exec(req.get("authorization") ?? "")?.[1];
    if (bearer && state.accessTokens.has(bearer)) return accessTokenAuth(state, bearer, req, res, next);
    const verified = bearer ? verifyBearer(req, state) : verifyAppToken(req, state);
    if (!verified.ok) return refuse(res, 401, verified.message);
    const { tenant } = verified.installation;
    (res.locals.call as ApiCall).clientKey = tenant.clientKey;
    res.locals.installation = verified.installation;
    const granted: string[] = tenant.descriptor?.scopes ?? [];
    if (!granted.some((s) => REPOSITORY_SCOPES.includes(s))) {
      return refuse(res, 403, "Your credentials lack one or more required privilege scopes.", {
        detail: { granted, required: ["repository"] },
      });
    }
    next();
  };
}

/**
 * `Authorization: Bearer <access token>` from the JWT grant: the installation's token for the workspace,
 * or, when it was bound to one repository, for that repository alone and read-only (others are 404, as
 * Bitbucket hides what the caller may not see).
 */
function accessTokenAuth(state: SimState, token: string, req: Request, res: Response, next: NextFunction) {
  const problem = accessTokenProblem(state, token);
  if (problem) return refuse(res, 401, `Invalid access token: ${problem}`);
  const issued = state.accessTokens.get(token)!;
  const installation = state.installations.get(issued.clientKey)!;
  (res.locals.call as ApiCall).clientKey = issued.clientKey;
  res.locals.installation = installation;
  res.locals.boundRepository = issued.repository;
  if (issued.repository && req.method !== "GET") return refuse(res, 403, "This access token is read-only");
  next();
}

/**
 * A Forge app system token: accepted for its own workspace until it expires. Its identity plays the
 * installation, so the creator-only overwrite rule applies between it and a Connect tenant too.
 */
export function verifyBearer(req: Request, state: SimState): Verification {
  const token = (req.get("authorization") ?? "").slice("Bearer ".length);
  const known = state.bearerTokens.get(token);
  if (!known) return { ok: false, message: "Access token is not valid" };
  if (known.expiresAt <= state.now()) return { ok: false, message: "Access token expired." };
  const workspace = state.workspaceFor({ workspaceUuid: known.workspaceUuid });
  const tenant = { clientKey: known.identity, workspace, descriptor: { scopes: ["repository"] } } as SimTenant;
  return { ok: true, installation: { tenant, installed: true } };
}

/**
 * Finds the repository named by `{workspace}`/`{repo_slug}` (slug or braced uuid) inside the caller's own
 * workspace; anything else is 404, as Bitbucket hides repositories the caller may not see.
 */
function resolveCommit(
  state: SimState,
  req: Request,
  res: Response,
): { installation: Installation; repo: SimRepo; sha: string } | undefined {
  const target = resolveRepository(state, req, res);
  if (!target) return;
  const { commit } = req.params as Record<string, string>;
  // Only full hashes are accepted here; Bitbucket may resolve short ones, but the app must never need to.
  if (!COMMIT.test(commit)) return void refuse(res, 404, `Commit ${commit} not found`);
  return { ...target, sha: commit.toLowerCase() };
}

function resolveRepository(
  state: SimState,
  req: Request,
  res: Response,
): { installation: Installation; repo: SimRepo } | undefined {
  const installation = res.locals.installation as Installation;
  const own = installation.tenant.workspace;
  const names = (param: string, id: { uuid: string; slug: string }) =>
    param.startsWith("{") ? sameUuid(param, id.uuid) : param === id.slug;
  const { workspace, repo: repoParam } = req.params as Record<string, string>;
  const repo = names(workspace, own)
    ? [...state.repos.values()].find((r) => r.workspace.uuid === own.uuid && names(repoParam, r))
    : undefined;
  const bound = res.locals.boundRepository as string | undefined;
  if (!repo || (bound && bound !== repo.uuid)) return void refuse(res, 404, `Repository ${workspace}/${repoParam} not found`);
  return { installation, repo };
}

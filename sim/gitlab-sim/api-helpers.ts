import type { Request, Response } from "express";
import type { SimState } from "./sim-state";
import type { SimProject, SimUser } from "./types";

/** An error rendered exactly as GitLab renders it: a status and a JSON body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(JSON.stringify(body));
  }
}

export const notFound = (what?: string) => new ApiError(404, { message: what ? `404 ${what} Not Found` : "404 Not found" });
export const forbidden = () => new ApiError(403, { message: "403 Forbidden" });
export const badRequest = (message: unknown) => new ApiError(400, { message });
/** Grape's parameter validation errors use `error`, not `message`. */
export const invalidParams = (error: string) => new ApiError(400, { error });

export function currentUser(res: Response): SimUser {
  return res.locals.user as SimUser;
}

/**
 * `user_project`: a project the user cannot see is "404 Project Not Found" (never 403, so that
 * private projects stay hidden); a visible one without the role is "403 Forbidden".
 */
export function userProject(state: SimState, req: Request, res: Response, minLevel: number): SimProject {
  const user = currentUser(res);
  const project = state.findProject(String(req.params.id));
  const level = project ? state.accessLevel(project, user) : 0;
  if (!project || level === 0) throw notFound("Project");
  if (level < minLevel) throw forbidden();
  return project;
}

/** GitLab reads parameters from the query string, form bodies and JSON bodies alike. */
export function params(req: Request): Record<string, unknown> {
  const body = typeof req.body === "object" && req.body !== null ? (req.body as Record<string, unknown>) : {};
  return { ...(req.query as Record<string, unknown>), ...body };
}

/** Grape's Boolean coercion: true/false, "true"/"false", "1"/"0". */
export function bool(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === "true" || value === "1" || value === 1) return true;
  if (value === false || value === "false" || value === "0" || value === 0) return false;
  throw invalidParams(`${name} is invalid`);
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

/**
 * Offset pagination as GitLab does it: `page`/`per_page` (20 by default, at most 100), the X-* headers
 * and a Link header whose `next` URL repeats the request's own parameters (gitbeaker follows it).
 */
export function paginate<T>(state: SimState, req: Request, res: Response, items: T[]): T[] {
  const perPage = Math.min(Math.max(Number(req.query.per_page) || 20, 1), 100);
  const page = Math.max(Number(req.query.page) || 1, 1);
  const total = items.length;
  const totalPages = Math.max(Math.ceil(total / perPage), 1);
  const [path, query = ""] = req.originalUrl.split("?", 2) as [string, string?];
  const link = (p: number) => {
    const search = new URLSearchParams(query);
    search.set("page", String(p));
    search.set("per_page", String(perPage));
    return `<${state.baseUrl}${path}?${search.toString()}>`;
  };
  const links = [
    page > 1 && `${link(page - 1)}; rel="prev"`,
    page < totalPages && `${link(page + 1)}; rel="next"`,
    `${link(1)}; rel="first"`,
    `${link(totalPages)}; rel="last"`,
  ].filter(Boolean);
  res.set({
    "X-Page": String(page),
    "X-Per-Page": String(perPage),
    "X-Total": String(total),
    "X-Total-Pages": String(totalPages),
    "X-Next-Page": page < totalPages ? String(page + 1) : "",
    "X-Prev-Page": page > 1 ? String(page - 1) : "",
    Link: links.join(", "),
  });
  return items.slice((page - 1) * perPage, page * perPage);
}

import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError } from "../errors";
import type { Logger } from "../logger";

/** body-parser's failures, in our words. */
const PARSER_ERRORS: Record<string, AppError> = {
  "entity.parse.failed": new AppError("invalid_json", 400, "The body is not valid JSON"),
  "entity.too.large": new AppError("payload_too_large", 413, "The body is too large"),
  "encoding.unsupported": new AppError("unsupported_encoding", 415, "Unsupported content encoding"),
  "charset.unsupported": new AppError("unsupported_charset", 415, "Unsupported charset"),
  "request.aborted": new AppError("request_aborted", 400, "The request was aborted"),
};

/**
 * The one place errors become responses: JSON `{"error":{"code","message"}}` for the API and webhooks, a
 * page for browsers on our pages. Unknown errors are logged with their stack and answered with a bare
 * 500: no stack or internal detail ever reaches a client.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = toAppError(err);
    // A 5xx names the log line that explains it: the request's id, as `error.reference`.
    const reference = known && known.status < 500 ? undefined : (req.id ?? "unknown");
    if (!known) (req.log ?? log).error({ err, method: req.method, path: req.path, reference }, "unhandled error");
    else if (reference)
      (req.log ?? log).error({ code: known.code, message: known.message, reference }, "answered with a server error");
    const e = known ?? new AppError("internal_error", 500, "Something went wrong on our side");
    if (res.headersSent) return res.end();
    res.status(e.status);
    if (req.method === "GET" && req.path.startsWith("/settings/") && req.accepts(["json", "html"]) === "html") {
      return res.render("error", { title: "GitLab CI", message: e.message, status: e.status, reference });
    }
    res.json({ error: { code: e.code, message: e.message, ...(e.details ?? {}), ...(reference ? { reference } : {}) } });
  };
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new AppError("not_found", 404, "No such route"));

function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type === "string" && Object.hasOwn(PARSER_ERRORS, type)) return PARSER_ERRORS[type]!;
  // ACE reports authentication failures as plain {code, message} objects.
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "number" && code >= 400 && code < 500)
    return new AppError("unauthorized", 401, "Missing or invalid Bitbucket token");
  return null;
}

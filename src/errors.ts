/** The one error type the app throws on purpose: a code for machines, a status, a message safe to show. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (message: string, fields?: Record<string, string>) =>
  new AppError("invalid_request", 400, message, fields ? { fields } : undefined);
export const unauthorized = (message = "Authentication required") => new AppError("unauthorized", 401, message);
export const forbidden = (message = "Not allowed") => new AppError("forbidden", 403, message);
export const notFound = (code = "not_found", message = "Not found") => new AppError(code, 404, message);

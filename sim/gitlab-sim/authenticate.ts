import type { RequestHandler } from "express";
import { ApiError } from "./api-helpers";
import type { SimState } from "./sim-state";

function invalidToken(description: string): ApiError {
  return new ApiError(
    401,
    { error: "invalid_token", error_description: description },
    { "WWW-Authenticate": `Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="${description}"` },
  );
}

/**
 * Gitlab::Auth::AuthFinders for personal access tokens: `PRIVATE-TOKEN`, `Authorization: Bearer`
 * or `?private_token=`. Unknown or missing: 401 "401 Unauthorized"; expired or revoked: 401
 * invalid_token; a token whose scopes do not cover the request: 403 insufficient_scope. `read_api`
 * covers GET only; `read_user` covers GET /user too.
 */
export function authenticate(state: SimState): RequestHandler {
  return (req, res, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.get("authorization") ?? "")?.[1];
    const raw =
      req.get("private-token") ?? bearer ?? (typeof req.query.private_token === "string" ? req.query.private_token : undefined);
    const token = raw ? state.tokens.get(raw) : undefined;
    if (!token) throw new ApiError(401, { message: "401 Unauthorized" });
    if (token.revoked) throw invalidToken("Token was revoked. You have to re-authorize from the user.");
    if (token.expired) throw invalidToken("Token has expired.");
    const reading = req.method === "GET" || req.method === "HEAD";
    const accepted = reading ? ["api", "read_api", ...(req.path === "/user" ? ["read_user"] : [])] : ["api"];
    if (!token.scopes.some((s) => accepted.includes(s))) {
      throw new ApiError(403, {
        error: "insufficient_scope",
        error_description: "The request requires higher privileges than provided by the access token.",
        scope: accepted.join(" "),
      });
    }
    res.locals.user = token.user;
    next();
  };
}

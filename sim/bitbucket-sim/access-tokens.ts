import { randomBytes } from "node:crypto";
import express, { type Response } from "express";
import type { SimState } from "./state";
import type { ApiCall } from "./types";
import { verifyAppToken } from "./verify-app-token";

export const JWT_GRANT = "urn:bitbucket:oauth2:jwt";
/** Bitbucket's access tokens from the JWT grant live 2 hours. */
export const ACCESS_TOKEN_TTL_SECONDS = 7200;

export interface IssuedAccessToken {
  token: string;
  clientKey: string;
  workspaceUuid: string;
  scopes: string;
  /** `bitbucket_repository` of the grant: the one repository the token may open (braced uuid). */
  repositoryUuid?: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * `POST /site/oauth2/access_token` with `grant_type=urn:bitbucket:oauth2:jwt`: a Connect app swaps a JWT
 * (in `Authorization: JWT …`, verified like the REST API's: iss, sub, signature, exp, iat, and qsh over
 * this POST relative to the web base URL) for an OAuth access token of its installation, with the app's
 * scopes, for 2 hours (the simulator's clock and TTL can be changed by tests).
 */
export function accessTokenGrant(state: SimState): express.Router {
  const router = express.Router();
  router.post("/site/oauth2/access_token", express.urlencoded({ extended: false, limit: "8kb" }), (req, res) => {
    const call: ApiCall = { method: req.method, path: req.path, status: 0, at: Date.now() };
    state.apiCalls.push(call);
    const fail = (status: number, error: string, description: string) => {
      call.status = status;
      call.error = description;
      res.status(status).json({ error, error_description: description });
    };
    const verified = verifyAppToken(req, state, state.baseUrl);
    if (!verified.ok) return fail(401, "invalid_client", verified.message);
    call.clientKey = verified.installation.tenant.clientKey;
    if (!req.is("application/x-www-form-urlencoded")) return fail(400, "invalid_request", "Expected a form-encoded body");
    const grant = (req.body as Record<string, unknown>).grant_type;
    if (grant !== JWT_GRANT) return fail(400, "unsupported_grant_type", `Unsupported grant type: ${String(grant)}`);
    const { tenant } = verified.installation;
    const scopes: string[] = tenant.descriptor?.scopes ?? [];
    const now = state.now();
    const bound = (req.body as Record<string, unknown>).bitbucket_repository;
    const issued: IssuedAccessToken = {
      // Real tokens are long base64 strings, "+", "/" and "=" included: a clone URL must encode them.
      token: randomBytes(72).toString("base64"),
      clientKey: tenant.clientKey,
      workspaceUuid: tenant.workspace.uuid,
      scopes: scopes.join(" "),
      ...(typeof bound === "string" && bound ? { repositoryUuid: bound } : {}),
      issuedAt: now,
      expiresAt: now + state.accessTokenTtlSeconds * 1000,
    };
    state.accessTokens.set(issued.token, issued);
    call.status = 200;
    answer(res, {
      access_token: issued.token,
      scopes: issued.scopes,
      expires_in: state.accessTokenTtlSeconds,
      refresh_token: randomBytes(18).toString("base64url"),
      token_type: "bearer",
      state: "jwt",
    });
  });
  return router;
}

function answer(res: Response, body: unknown): void {
  res.status(200).set("Cache-Control", "no-store").json(body);
}

/** Why an access token cannot be used now, or null when it can. */
export function accessTokenProblem(state: SimState, token: string): string | null {
  const issued = state.accessTokens.get(token);
  if (!issued) return "not a token Bitbucket issued";
  if (issued.expiresAt <= state.now()) return "the access token has expired";
  if (!state.installations.get(issued.clientKey)?.installed) return "the app that holds the token was uninstalled";
  return null;
}

/**
 * Checks an HTTPS clone URL as `git clone` against this Bitbucket would: `x-token-auth` with a valid
 * access token of an installation in the repository's workspace. Returns undefined when the URL is not
 * this Bitbucket's at all, null when a clone would succeed, else what git would say.
 */
export function cloneProblem(state: SimState, rawUrl: string | undefined): string | null | undefined {
  let url: URL;
  try {
    url = new URL(rawUrl ?? "");
  } catch {
    return undefined;
  }
  if (url.origin !== new URL(state.baseUrl).origin) return undefined;
  const denied = `remote: Invalid credentials\nfatal: Authentication failed for '${url.origin}${url.pathname}'`;
  if (decodeURIComponent(url.username) !== "x-token-auth" || !url.password) return denied;
  const token = decodeURIComponent(url.password);
  if (accessTokenProblem(state, token)) return denied;
  const fullName = url.pathname.replace(/^\//, "").replace(/\.git$/, "");
  const repo = [...state.repos.values()].find((r) => r.fullName === decodeURIComponent(fullName));
  const issued = state.accessTokens.get(token)!;
  if (!repo || repo.workspace.uuid !== issued.workspaceUuid) {
    return `remote: Repository not found\nfatal: repository '${url.origin}${url.pathname}/' not found`;
  }
  return null;
}

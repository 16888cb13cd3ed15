import type { NextFunction, Request, RequestHandler, Response } from "express";
import { createQueryStringHash, decodeSymmetric, fromExpressRequest, SymmetricAlgorithm } from "atlassian-jwt";
import type { Deps } from "../deps";
import { unauthorized } from "../errors";
import type { Addon } from "./addon";
import { requestJwt, tokenTimesProblem } from "./connect-token";

/**
 * Verifies a request signed by Bitbucket for one installation: ACE checks the signature with that
 * tenant's secret, the expiry and the qsh. Before it, we insist on what ACE lets pass: exactly one token
 * (the one ACE will verify), with bounded times (see tokenTimesProblem). Every failure becomes the same
 * 401, which says nothing about which check failed.
 */
export function connectAuth(addon: Addon): RequestHandler {
  const ace = addon.authenticate();
  return (req: Request, res: Response, next: NextFunction) => {
    // ACE reads req.body.jwt unconditionally; a GET has no body parser, so give it an empty one.
    req.body ??= {};
    const token = requestJwt(req);
    const problem = token ? timesProblem(token) : "no single token";
    if (problem) {
      req.log?.debug({ reason: problem }, "Bitbucket token refused");
      return next(unauthorized("Missing or invalid Bitbucket token"));
    }
    ace(req, res, (err?: unknown) => {
      if (err) {
        req.log?.debug({ reason: (err as { message?: string }).message }, "Bitbucket token refused");
        return next(unauthorized("Missing or invalid Bitbucket token"));
      }
      next();
    });
  };
}

/** Runs connectAuth as a promise, for routes that authenticate only in some cases (re-install). */
export function verifyConnectRequest(addon: Addon, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => connectAuth(addon)(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
}

// Read without verifying: ACE verifies the signature right after, and only a signed token gets through.
function timesProblem(token: string): string | null {
  try {
    return tokenTimesProblem(decodeSymmetric(token, "", SymmetricAlgorithm.HS256, true), Date.now() / 1000);
  } catch {
    return "undecodable";
  }
}

interface ConnectClaims {
  iss?: unknown;
  aud?: unknown;
  exp?: unknown;
  iat?: unknown;
  nbf?: unknown;
  qsh?: unknown;
}

/**
 * The same checks as ACE's (HS256 with the tenant's secret, exp, qsh over method, path and query; the
 * tenant named by aud, else iss) and connectAuth's (one token, bounded times), for the webhook route alone. ACE also signs a fresh session token for
 * every request it authenticates and looks the tenant up through its store; a webhook answers with no
 * page and needs neither, and the benchmark measured that extra work as a large part of intake.
 * It needs nothing of the body, so it runs before the body is read: a stranger's body is never parsed.
 */
export function bitbucketWebhookAuth(deps: Pick<Deps, "tenants" | "config">): RequestHandler {
  const refuse = (req: Request, next: NextFunction, reason: string) => {
    req.log?.debug({ reason }, "Bitbucket token refused");
    // Nothing of the body has been read (the qsh covers method and path only): close rather than drain it.
    req.res?.setHeader("Connection", "close");
    next(unauthorized("Missing or invalid Bitbucket token"));
  };
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = requestJwt(req);
    if (!token) return refuse(req, next, "no single token");
    let unverified: ConnectClaims;
    try {
      unverified = decodeSymmetric(token, "", SymmetricAlgorithm.HS256, true) as ConnectClaims;
    } catch (e) {
      return refuse(req, next, `undecodable: ${(e as Error).message}`);
    }
    const aud = Array.isArray(unverified.aud) ? unverified.aud[0] : undefined;
    const clientKey = typeof aud === "string" && aud ? aud : unverified.iss;
    if (typeof clientKey !== "string" || !clientKey) return refuse(req, next, "no issuer");
    deps.tenants.get(clientKey).then(
      (tenant) => {
        if (!tenant) return refuse(req, next, "unknown tenant");
        let claims: ConnectClaims;
        try {
          claims = decodeSymmetric(token, tenant.sharedSecret, SymmetricAlgorithm.HS256) as ConnectClaims;
        } catch (e) {
          return refuse(req, next, `bad signature: ${(e as Error).message}`);
        }
        const problem = tokenTimesProblem(claims, Date.now() / 1000);
        if (problem) return refuse(req, next, problem);
        const expected = createQueryStringHash(fromExpressRequest(req), false, deps.config.baseUrl);
        if (claims.qsh !== expected) return refuse(req, next, "qsh does not match");
        req.context = { clientKey, hostBaseUrl: tenant.baseUrl };
        next();
      },
      (e: unknown) => next(e),
    );
  };
}

import type { NextFunction, Request, RequestHandler, Response } from "express";
import { decodeSymmetric, SymmetricAlgorithm } from "atlassian-jwt";
import { unauthorized } from "../errors";
import type { Addon } from "./addon";

/**
 * Verifies a request signed by Bitbucket for one installation: ACE checks the signature with that
 * tenant's secret, the expiry and the qsh. Before it, we insist on what ACE lets pass: a token must
 * expire. Every failure becomes the same 401, which says nothing about which check failed.
 */
export function connectAuth(addon: Addon): RequestHandler {
  const ace = addon.authenticate();
  return (req: Request, res: Response, next: NextFunction) => {
    const token = bearerJwt(req);
    if (!token || !hasExpiry(token)) return next(unauthorized("Missing or invalid Bitbucket token"));
    // ACE reads req.body.jwt unconditionally; a GET has no body parser, so give it an empty one.
    req.body ??= {};
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

function bearerJwt(req: Request): string | undefined {
  const query = typeof req.query.jwt === "string" ? req.query.jwt : undefined;
  const header = req.headers.authorization;
  return query ?? (header?.startsWith("JWT ") ? header.slice(4) : undefined);
}

function hasExpiry(token: string): boolean {
  try {
    const claims = decodeSymmetric(token, "", SymmetricAlgorithm.HS256, true) as { exp?: unknown };
    return typeof claims.exp === "number";
  } catch {
    return false;
  }
}

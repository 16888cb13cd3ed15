import type { RequestHandler } from "express";
import type { Logger } from "../logger";

declare module "express-serve-static-core" {
  interface Request {
    log?: Logger;
    /** Set by ACE once a Bitbucket JWT is verified. */
    context?: { clientKey: string; userAccountId?: string; hostBaseUrl?: string };
  }
}

/** Gives each request the app logger. Requests are not logged one by one: intake runs at thousands a second. */
export const requestLog =
  (log: Logger): RequestHandler =>
  (req, _res, next) => {
    req.log = log;
    next();
  };

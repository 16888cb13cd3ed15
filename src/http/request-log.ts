import { randomBytes } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "../logger";

declare module "express-serve-static-core" {
  interface Request {
    /** This request's id: in its log lines, its `X-Request-Id` answer header and any 5xx body's `reference`. */
    id?: string;
    log?: Logger;
    /** Set once a Bitbucket JWT is verified. */
    context?: { clientKey: string; userAccountId?: string; hostBaseUrl?: string };
  }
}

// Ids are this process's prefix and a counter: unique across instances, and cheaper than a UUID at
// thousands of requests a second.
const PREFIX = randomBytes(4).toString("hex");
let counter = 0;

/**
 * Gives each request an id and a child logger carrying it. Requests are not logged one by one (intake
 * runs at thousands a second), and the child logger is made only when something logs.
 */
export const requestLog =
  (log: Logger): RequestHandler =>
  (req, res, next) => {
    const id = `${PREFIX}-${(++counter).toString(36)}`;
    req.id = id;
    res.setHeader("X-Request-Id", id);
    Object.defineProperty(req, "log", {
      configurable: true,
      enumerable: false,
      get(): Logger {
        const child = log.child({ reqId: id });
        Object.defineProperty(req, "log", { value: child, configurable: true, writable: true, enumerable: false });
        return child;
      },
      set(value: Logger) {
        Object.defineProperty(req, "log", { value, configurable: true, writable: true, enumerable: false });
      },
    });
    next();
  };

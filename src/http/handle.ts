import type { NextFunction, Request, RequestHandler, Response } from "express";

/** Express 4 does not catch rejected promises from handlers; this hands them to the error handler. */
export const handle =
  (fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

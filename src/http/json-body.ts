import express, { type RequestHandler } from "express";
import { AppError } from "../errors";
import { jsonDepthExceeds } from "./json-depth";

/** Deeper than any payload GitLab or Bitbucket sends (theirs stay under 10). */
export const MAX_JSON_DEPTH = 64;

/**
 * express.json with a nesting limit checked on the raw bytes before JSON.parse runs, so no body can make
 * the parser (and every request behind it) wait. JSON between systems is UTF-8 (RFC 8259); other
 * charsets are refused rather than scanned wrongly.
 */
export function jsonBody(opts: { limit: string; maxDepth?: number }): RequestHandler {
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  return express.json({
    limit: opts.limit,
    verify: (_req, _res, buf, encoding) => {
      if (encoding.toLowerCase().replace("-", "") !== "utf8")
        throw new AppError("unsupported_charset", 415, "JSON must be UTF-8");
      if (jsonDepthExceeds(buf, maxDepth))
        throw new AppError("too_deep", 400, `The body nests arrays or objects deeper than ${maxDepth} levels`);
    },
  });
}

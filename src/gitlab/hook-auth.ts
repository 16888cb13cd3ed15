import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import type { Link } from "../db/links";
import { notFound, unauthorized } from "../errors";
import { handle } from "../http/handle";
import type { LinkCache } from "../links/link-cache";

declare module "express-serve-static-core" {
  interface Request {
    /** The link whose webhook URL and secret a GitLab hook presented (set by gitlabHookAuth). */
    gitlabLink?: Link;
  }
}

const LINK_ID = /^[0-9a-f-]{36}$/;

/**
 * Authenticates a GitLab hook from its URL and headers alone, before a byte of its body is read: the
 * link is named by `:linkId` and its secret comes as `X-Gitlab-Token`, both served from the link cache,
 * so a stranger's body (up to the route's 5 MB) is neither buffered nor parsed. A refusal closes the
 * connection rather than draining the rest of the body.
 */
export function gitlabHookAuth(deps: { linkCache: LinkCache }): RequestHandler {
  return handle(async (req, res, next) => {
    try {
      req.gitlabLink = await authenticate(deps, req.params.linkId ?? "", req.header("x-gitlab-token"));
    } catch (e) {
      res.setHeader("Connection", "close");
      throw e;
    }
    next();
  });
}

async function authenticate(deps: { linkCache: LinkCache }, linkId: string, token: string | undefined): Promise<Link> {
  if (!LINK_ID.test(linkId)) throw notFound("unknown_webhook", "No link has this webhook; remove the hook from GitLab");
  let link = await deps.linkCache.get(linkId);
  // A secret that does not match may be a re-link's new one (made on another instance): read afresh once.
  if (link && !sameSecret(token, link.webhookSecret)) link = await deps.linkCache.get(linkId, true);
  if (!link) throw notFound("unknown_webhook", "No link has this webhook; remove the hook from GitLab");
  if (!sameSecret(token, link.webhookSecret)) throw unauthorized("Wrong or missing X-Gitlab-Token");
  return link;
}

// Hash both sides first so the comparison takes the same time whatever the lengths.
function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

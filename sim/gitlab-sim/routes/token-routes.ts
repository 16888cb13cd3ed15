import { Router } from "express";
import type { SimState } from "../sim-state";

// GET /personal_access_tokens/self (GitLab 15.5+): the token that authenticated the request. The
// authenticate middleware has already refused unknown, expired and revoked tokens.
export function tokenRoutes(state: SimState): Router {
  const router = Router();
  router.get("/personal_access_tokens/self", (req, res) => {
    const raw = req.get("private-token") ?? /^Bearer\s+(.+)$/i.exec(req.get("authorization") ?? "")?.[1] ?? "";
    const token = state.tokens.get(raw)!;
    res.json({
      id: [...state.tokens.keys()].indexOf(raw) + 1,
      name: `${token.user.username}'s token`,
      revoked: token.revoked,
      created_at: state.startedAt,
      scopes: token.scopes,
      user_id: token.user.id,
      last_used_at: new Date(state.now()).toISOString(),
      active: !token.revoked && !token.expired,
      expires_at: null,
    });
  });
  return router;
}

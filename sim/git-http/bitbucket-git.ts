import path from "node:path";
import { Router } from "express";
import { accessTokenProblem } from "../bitbucket-sim/access-tokens";
import { sameUuid } from "../bitbucket-sim/ids";
import type { SimState } from "../bitbucket-sim/state";
import type { SimRepo } from "../bitbucket-sim/types";
import { BareRepo } from "./bare-repo";
import { basicAuth, gitHttpBackend, parseGitPath, serviceOf } from "./git-http-backend";

/** The bare repositories behind a simulated Bitbucket, one per repository, made on first use. */
export class BitbucketRepos {
  private readonly open = new Map<string, Promise<BareRepo>>();

  constructor(readonly root: string) {}

  dirOf(repo: SimRepo): string {
    return path.join(this.root, `${repo.fullName}.git`);
  }

  get(repo: SimRepo): Promise<BareRepo> {
    let found = this.open.get(repo.uuid);
    if (!found) {
      found = BareRepo.init(this.dirOf(repo));
      this.open.set(repo.uuid, found);
    }
    return found;
  }
}

/**
 * Git over HTTPS as bitbucket.org serves it at `{web base}/{workspace}/{repo}.git`: Basic auth with user
 * `x-token-auth` and an access token this Bitbucket issued to an installation in the repository's
 * workspace (and, when the grant named one, for that repository), or a Forge app system token of that
 * workspace. The app's tokens are read-only, so a push is refused.
 */
export function bitbucketGit(state: SimState, repos: BitbucketRepos): Router {
  const router = Router();
  router.use(async (req, res, next) => {
    const target = parseGitPath(req.path);
    if (!target) return next();
    const service = serviceOf(req, target.service);
    if (!service) return void res.status(403).type("text/plain").send("Unsupported service");
    state.gitCalls.push({ method: req.method, path: req.path, status: 0, at: state.now() });
    const auth = basicAuth(req);
    // A Connect access token from the JWT grant, or a Forge app system token (workspace-wide, read here).
    const system = auth ? state.bearerTokens.get(auth.password) : undefined;
    const issued = auth
      ? (state.accessTokens.get(auth.password) ??
        (system && system.expiresAt > state.now() ? { workspaceUuid: system.workspaceUuid, repository: undefined } : undefined))
      : undefined;
    const problem = auth && state.accessTokens.has(auth.password) ? accessTokenProblem(state, auth.password) : undefined;
    if (!auth || auth.user !== "x-token-auth" || !issued || problem) {
      return void res
        .status(401)
        .set("WWW-Authenticate", 'Basic realm="Bitbucket.org HTTP"')
        .type("text/plain")
        .send("Invalid credentials");
    }
    const repo = [...state.repos.values()].find((r) => r.fullName === target.repo);
    const visible =
      repo &&
      sameUuid(repo.workspace.uuid, issued.workspaceUuid) &&
      (!issued.repository || sameUuid(issued.repository, repo.uuid));
    if (!repo || !visible) return void res.status(404).type("text/plain").send("Repository not found");
    if (service === "receive-pack") {
      return void res.status(403).type("text/plain").send("Your credentials lack one or more required privilege scopes.");
    }
    await repos.get(repo);
    await gitHttpBackend(req, res, {
      root: repos.root,
      pathInfo: `/${repo.fullName}.git${target.service}`,
      remoteUser: auth.user,
    });
  });
  return router;
}

import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Router } from "express";
import { createPipeline } from "../gitlab-sim/pipelines";
import type { SimState } from "../gitlab-sim/sim-state";
import type { SimProject, SimUser } from "../gitlab-sim/types";
import { BareRepo } from "./bare-repo";
import { basicAuth, gitHttpBackend, parseGitPath, serviceOf } from "./git-http-backend";

const REPORTER = 20;
const DEVELOPER = 30;
const ZERO = "0".repeat(40);
/** `git_push_pipeline_limit`: GitLab starts pipelines for the first 4 branch or tag updates of a push. */
export const PUSH_PIPELINE_LIMIT = 4;

// Writes what receive-pack took in (push options, then "old new ref" lines) where the simulator reads it.
const POST_RECEIVE = `#!/bin/sh
out="$SIM_PUSH_LOG"
[ -n "$out" ] || exit 0
i=0
while [ "$i" -lt "\${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "printf 'option %s\\n' \\"\\$GIT_PUSH_OPTION_$i\\"" >> "$out"
  i=$((i+1))
done
while read old new ref; do printf 'update %s %s %s\\n' "$old" "$new" "$ref" >> "$out"; done
`;

export interface RefUpdate {
  before: string;
  after: string;
  ref: string;
}

export interface SimPush {
  projectId: number;
  user: string;
  options: string[];
  updates: RefUpdate[];
  at: number;
  /** The git-receive-pack request's body as received: the ref commands and the pack (what the pusher sent). */
  requestBytes: number;
}

/** The bare repositories behind a simulated GitLab, one per project, made on first use. */
export class GitLabRepos {
  readonly pushes: SimPush[] = [];
  private readonly open = new Map<number, Promise<BareRepo>>();
  private seq = 0;

  constructor(readonly root: string) {}

  get(project: SimProject): Promise<BareRepo> {
    let found = this.open.get(project.id);
    if (!found) {
      found = this.create(project);
      this.open.set(project.id, found);
    }
    return found;
  }

  nextLogFile(): string {
    return path.join(this.root, `push-${++this.seq}.log`);
  }

  private async create(project: SimProject): Promise<BareRepo> {
    const repo = await BareRepo.init(path.join(this.root, `${project.id}.git`), {
      "http.receivepack": "true",
      "receive.advertisePushOptions": "true",
    });
    const hook = path.join(repo.dir, "hooks", "post-receive");
    writeFileSync(hook, POST_RECEIVE);
    chmodSync(hook, 0o755);
    return repo;
  }
}

/**
 * Git over HTTPS as GitLab serves it at `{gitlab}/{path_with_namespace}.git`: Basic auth with any
 * non-blank user and a personal access token; Reporter may fetch (read_repository, write_repository or
 * api), Developer may push (write_repository or api). After a push GitLab creates a pipeline for each of
 * the first 4 branch or tag updates (deletions excluded), unless the push carried `-o ci.skip`.
 */
export function gitlabGit(state: SimState, repos: GitLabRepos): Router {
  const router = Router();
  router.use(async (req, res, next) => {
    const target = parseGitPath(req.path);
    if (!target) return next();
    const service = serviceOf(req, target.service);
    if (!service) return void res.status(403).type("text/plain").send("Unsupported service");
    const auth = basicAuth(req);
    const token = auth && auth.user.trim() ? state.tokens.get(auth.password) : undefined;
    if (!token || token.revoked || token.expired) {
      return void res
        .status(401)
        .set("WWW-Authenticate", 'Basic realm="GitLab"')
        .type("text/plain")
        .send("HTTP Basic: Access denied");
    }
    const project = state.findProject(target.repo);
    const level = project ? state.accessLevel(project, token.user) : 0;
    if (!project || level < REPORTER) {
      return void res
        .status(404)
        .type("text/plain")
        .send("The project you were looking for could not be found or you don't have permission to view it.");
    }
    const pushing = service === "receive-pack";
    const scopes = pushing ? ["api", "write_repository"] : ["api", "read_repository", "write_repository"];
    if (!token.scopes.some((s) => scopes.includes(s)) || (pushing && level < DEVELOPER)) {
      return void res.status(403).type("text/plain").send("You are not allowed to push code to this project.");
    }
    const repo = await repos.get(project);
    const log = repos.nextLogFile();
    await gitHttpBackend(req, res, {
      root: repos.root,
      pathInfo: `/${project.id}.git${target.service}`,
      remoteUser: auth!.user,
      env: { SIM_PUSH_LOG: log },
      // GitLab creates push pipelines in the background; doing it before the answer ends spares tests a wait.
      beforeEnd: async ({ requestBytes }) => {
        if (pushing && existsSync(log)) await afterPush(state, repos, repo, project, token.user, log, requestBytes);
      },
    });
  });
  return router;
}

async function afterPush(
  state: SimState,
  repos: GitLabRepos,
  repo: BareRepo,
  project: SimProject,
  user: SimUser,
  log: string,
  requestBytes: number,
) {
  const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
  rmSync(log, { force: true });
  const options = lines.filter((l) => l.startsWith("option ")).map((l) => l.slice(7));
  const updates = lines
    .filter((l) => l.startsWith("update "))
    .map((l) => {
      const [, before, after, ref] = l.split(" ");
      return { before: before!, after: after!, ref: ref! };
    });
  repos.pushes.push({ projectId: project.id, user: user.username, options, updates, at: state.now(), requestBytes });
  if (options.includes("ci.skip")) return;
  const started = updates.filter((u) => u.after !== ZERO && /^refs\/(heads|tags)\//.test(u.ref)).slice(0, PUSH_PIPELINE_LIMIT);
  for (const u of started) {
    const tag = u.ref.startsWith("refs/tags/");
    const sha = (await repo.resolve(`${u.after}^{commit}`)) ?? u.after;
    createPipeline(state, project, { sha, ref: u.ref.replace(/^refs\/(heads|tags)\//, ""), tag, user, beforeSha: u.before });
  }
}

import type { LastSync, Link, Links, SyncTrigger } from "../db/links";
import type { GitLabFor } from "../gitlab/gitlab-clients";
import type { PushedRefs } from "../db/pushed-refs";
import { PeerFailure } from "../errors";
import { planRefSync, type RefMap, type RefPlan } from "../core/ref-plan";
import type { GitCache } from "../git/git-cache";
import type { GitCredential } from "../git/git-env";
import { localRefs, remoteRefs } from "../git/ref-lists";
import { gitFailure, runGit, runGitRaw } from "../git/run-git";
import { gitlabFailure } from "../gitlab/gitlab-api";
import type { FindInstallation } from "../installations/installation";
import type { Outbox } from "../outbox/outbox";
import type { Deliverer } from "../outbox/worker";
import { verdictOf } from "../outbox/failure";
import type { Delivery, Wakeup } from "./work";
import { gitRemotes, type GitRemotesCollaborators } from "./git-remotes";

export const PUSH_REFS = "push-refs";

export interface PushRefsPayload {
  linkId: string;
  /** What asked for it (absent on rows written before: a push). */
  via?: SyncTrigger;
}

/**
 * One waiting sync per link (the dedupe key): a burst of pushes folds into it, and the outbox runs one
 * sync per key at a time across every instance. Each sync compares whole ref lists, so it ends at
 * Bitbucket's latest state whichever push woke it.
 */
export async function queuePushRefs(
  c: { outbox: Outbox; wake: Wakeup; debounceMs: number },
  link: Pick<Link, "id" | "clientKey">,
  delivery?: Delivery,
  via: SyncTrigger = "push",
): Promise<boolean> {
  const written = await c.outbox.enqueue<PushRefsPayload>({
    clientKey: link.clientKey,
    linkId: link.id,
    kind: PUSH_REFS,
    dedupeKey: `push:${link.id}`,
    payload: { linkId: link.id, via },
    delayMs: c.debounceMs,
    delivery,
  });
  if (written) c.wake.kickIn(c.debounceMs);
  return written;
}

/**
 * A push sync someone asked for rather than a push: a new push-sync project's first fill, or "Sync now".
 * It runs at once (there is no burst of pushes to fold) and says it was asked for (`via: "manual"`).
 */
export function queuePushSyncNow(c: { outbox: Outbox; worker: Wakeup }, link: Pick<Link, "id" | "clientKey">): Promise<boolean> {
  return queuePushRefs({ outbox: c.outbox, wake: c.worker, debounceMs: 0 }, link, undefined, "manual");
}

export interface PushRefsCollaborators extends GitRemotesCollaborators {
  links: Pick<Links, "byId" | "setLastSync" | "setRepoFullName">;
  pushedRefs: PushedRefs;
  findInstallation: FindInstallation;
  gitlab: GitLabFor;
  cache: GitCache;
  /** Refuses a GitLab URL that now resolves into a private network (checked before every git command run). */
  reach: (gitlabUrl: string, clientKey: string) => Promise<void>;
  gitTimeoutMs: number;
}

/**
 * The app as the mirror: fetches Bitbucket's branches and tags into the link's bare cache, pushes what
 * GitLab lacks (new refs, fast-forwards, force-pushes) and deletes what the app pushed before and Bitbucket
 * no longer has, then makes sure each pushed ref has its pipeline. The outcome goes on the link.
 */
export const pushRefs =
  (c: PushRefsCollaborators): Deliverer =>
  async (item, log) => {
    const { linkId, via = "push" } = item.payload as unknown as PushRefsPayload;
    const started = Date.now();
    const steps = new StepTimer(started);
    const link = await c.links.byId(linkId);
    if (!link) return; // unlinked since
    if (link.sync !== "push") return "the link pulls through GitLab's mirror now: nothing to push";
    steps.lap("link");
    const outcome: Outcome = { pushed: [], deleted: [], pipelines: [] };
    const note = async (error: string | null) => {
      const changed = outcome.pushed.length + outcome.deleted.length + outcome.pipelines.length > 0;
      if (via === "sweep" && !changed && error === null && keepsLastSync(link.lastSync)) return;
      const at = new Date(started).toISOString();
      // A sweep that had to change GitLab found what a push event should have asked for: it never came.
      const missedPushAt = via === "sweep" && changed ? at : (link.lastSync?.missedPushAt ?? null);
      await c.links.setLastSync(link.id, { at, durationMs: Date.now() - started, ...outcome, error, via, missedPushAt });
    };
    try {
      await syncRefs(c, link, via, outcome, steps);
    } catch (e) {
      const verdict = verdictOf(e);
      if (verdict.kind !== "deferred") await note(verdict.message);
      throw e;
    }
    await note(null);
    steps.lap("lastSync");
    // Where a sync's time goes (the bench reads these lines): how long the row waited from its first write
    // to its claim (debounce and worker wake), then each step.
    log.info({ queuedMs: started - item.createdAt, stepsMs: steps.laps, via }, "push sync timed");
    const did = [...outcome.pushed, ...outcome.deleted.map((r) => `-${r}`)];
    return did.length
      ? `pushed ${did.join(", ")}; pipelines for ${outcome.pipelines.join(", ") || "none"}`
      : "GitLab already equal";
  };

type Outcome = Omit<LastSync, "at" | "durationMs" | "error" | "via" | "missedPushAt">;

/**
 * Whether a sweep's sync that found nothing to do leaves the link's last sync as it is. The settings page's
 * "last sync" is the last one that did something or failed: a sweep can queue a sync while one is running
 * (it lists the refs between that sync's push and its pipelines), and that one finds GitLab equal. A failed
 * last sync is replaced: the sweep's shows it is over.
 */
const keepsLastSync = (last: LastSync | null): boolean => last !== null && last.error === null;

/** Milliseconds spent in each named step of a sync, in order. */
class StepTimer {
  readonly laps: Record<string, number> = {};
  constructor(private last: number) {}
  lap(step: string): void {
    const now = Date.now();
    this.laps[step] = now - this.last;
    this.last = now;
  }
}

async function syncRefs(c: PushRefsCollaborators, link: Link, via: SyncTrigger, outcome: Outcome, steps: StepTimer) {
  const remotes = await gitRemotes(c, link);
  steps.lap("remotes");
  const fromBitbucket = remotes.bitbucket;
  const bitbucketUrl = fromBitbucket.url;
  const toGitLab = remotes.gitlab;
  const gitlabUrl = toGitLab.url;
  const cwd = await c.cache.open(link.id);
  const base = { cwd, timeoutMs: c.gitTimeoutMs };
  steps.lap("cache");

  // Only what changed since the last sync travels: the cache keeps every object it fetched before. Nothing
  // but the refs is written: no FETCH_HEAD, no walk to report forced updates, no automatic maintenance.
  await runGit(
    [
      "fetch",
      "--quiet",
      "--prune",
      "--no-tags",
      "--no-write-fetch-head",
      "--no-show-forced-updates",
      "--no-auto-maintenance",
      bitbucketUrl,
      "+refs/heads/*:refs/heads/*",
      "+refs/tags/*:refs/tags/*",
    ],
    {
      ...base,
      credentials: [fromBitbucket],
      what: "Fetching from Bitbucket",
      peer: "bitbucket",
    },
  ).catch((e: unknown) => {
    if (e instanceof PeerFailure && e.status === 401) c.tokens.forget(remotes.installation, link.repoUuid);
    throw e;
  });
  steps.lap("fetch");
  const source = await localRefs({ ...base, what: "Reading the cached refs" });
  steps.lap("localRefs");
  const pushedBefore = await c.pushedRefs.forLink(link.id);
  const run = { ...base, credentials: [toGitLab] };
  // A push event: GitLab is taken to hold what the app pushed there last, so the push goes at once, without
  // listing GitLab's refs first (`git push` reads them itself, and a ref already equal is reported "=" and
  // left). If anything is refused, the sync starts over from GitLab's listed refs, as a sweep or "Sync now"
  // always does: those also repair a ref changed or deleted in GitLab itself, which a push event does not see.
  let refused =
    via === "push"
      ? await push(c, link, planRefSync(source, asPushed(pushedBefore), new Set(pushedBefore.keys())), run, outcome)
      : undefined;
  steps.lap("push");
  if (refused !== null) {
    await c.reach(link.gitlabUrl, link.clientKey);
    const target = await remoteRefs(gitlabUrl, { ...run, what: "Reading GitLab's refs", peer: "gitlab" });
    steps.lap("lsRemote");
    const pushed = await c.pushedRefs.forLink(link.id);
    refused = await push(c, link, planRefSync(source, target, new Set(pushed.keys())), run, outcome);
    steps.lap("pushAgain");
  }
  c.cache.touch(cwd);
  c.cache.trim(link.id);
  steps.lap("trim");
  await createPipelines(c, link, source, outcome);
  steps.lap("pipelines");
  if (refused) throw refused;
}

/** Where GitLab's refs were when the app last pushed them. */
const asPushed = (pushed: ReadonlyMap<string, { sha: string }>): RefMap => new Map([...pushed].map(([ref, p]) => [ref, p.sha]));

/** Pushes the plan in one `git push` with `-o ci.skip`; returns GitLab's refusal of some refs, if any. */
async function push(
  c: PushRefsCollaborators,
  link: Link,
  plan: RefPlan,
  run: { cwd: string; timeoutMs: number; credentials: GitCredential[] },
  outcome: Outcome,
) {
  if (plan.updates.length === 0 && plan.deletions.length === 0) return null;
  const specs = [...plan.updates.map((u) => `+${u.sha}:${u.ref}`), ...plan.deletions.map((ref) => `:${ref}`)];
  await c.reach(link.gitlabUrl, link.clientKey);
  const what = "Pushing to GitLab";
  // GitLab starts pipelines for only the first 4 ref updates of a push (an admin setting that may differ).
  // Pushing with ci.skip and creating each ref's pipeline through the API gives every ref exactly one,
  // in one push (one negotiation, one pack) instead of batches of 4, and lets a pipeline that could not
  // be created be retried on its own, without pushing again.
  const out = await runGitRaw(["push", "--porcelain", "-o", "ci.skip", link.gitlabUrl + `/${link.projectPath}.git`, ...specs], {
    ...run,
    what,
    peer: "gitlab",
  });
  // Porcelain lines: "<flag>\t<from>:<to>\t<summary>"; "!" is a rejected ref, "=" one GitLab had already.
  const results = new Map<string, string>();
  for (const line of out.stdout.split("\n")) {
    const [flag, refs] = line.split("\t");
    const to = refs?.split(":")[1];
    if (flag !== undefined && to) results.set(to, flag);
  }
  if (out.code !== 0 && results.size === 0) throw gitFailure({ what, peer: "gitlab" }, out.stderr);
  const changed = (ref: string) => results.has(ref) && results.get(ref) !== "!" && results.get(ref) !== "=";
  for (const u of plan.updates) {
    if (!changed(u.ref)) continue;
    await c.pushedRefs.pushed(link.id, u.ref, u.sha);
    outcome.pushed.push(shortName(u.ref));
  }
  for (const ref of plan.deletions) {
    if (!changed(ref)) continue;
    await c.pushedRefs.deleted(link.id, ref);
    outcome.deleted.push(shortName(ref));
  }
  const rejected = [...results].filter(([, flag]) => flag === "!").map(([ref]) => shortName(ref));
  return rejected.length ? gitFailure({ what: `${what} (${rejected.join(", ")} refused)`, peer: "gitlab" }, out.stderr) : null;
}

/** A pipeline for each ref the app pushed whose current sha has none from us yet. */
async function createPipelines(c: PushRefsCollaborators, link: Link, source: ReadonlyMap<string, string>, outcome: Outcome) {
  const api = c.gitlab(link.gitlabUrl, link.token, link.clientKey);
  for (const [ref, pushed] of await c.pushedRefs.forLink(link.id)) {
    if (pushed.pipelineSha === pushed.sha || source.get(ref) !== pushed.sha) continue;
    try {
      await api.createPipeline(link.projectId, shortName(ref));
    } catch (e) {
      throw gitlabFailure(e, `Creating the pipeline for ${shortName(ref)}`);
    }
    await c.pushedRefs.pipelineCreated(link.id, ref, pushed.sha);
    outcome.pipelines.push(shortName(ref));
  }
}

const shortName = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, "");

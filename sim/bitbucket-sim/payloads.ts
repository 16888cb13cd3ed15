import { readFileSync } from "node:fs";
import path from "node:path";
import { randomSha } from "./ids";
import type { SimRepo } from "./types";

/** Bodies Bitbucket sends, built from the captured fixtures with identities swapped in. */

const FIXTURES = path.join(__dirname, "..", "fixtures", "bitbucket");
const fixture = (name: string): any => JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));

/** Who the fixtures were captured from. */
const CAPTURED = {
  api: "https://api.bitbucket.org",
  web: "https://bitbucket.org",
  workspaceSlug: "acme-corp",
  workspaceName: "Acme Corp",
  workspaceUuid: "{acf54878-51be-473e-bf0b-0fbb12e011ad}",
  repoSlug: "widgets",
  repoUuid: "{c389eba6-ca13-49c5-8dec-4e617d39dffe}",
};

/** The user who installs the app, pushes and opens pages (from the fixtures). */
export const ACTOR = { uuid: "{6ae3c307-ae59-4135-9c72-bdd06eb2010a}", accountId: "6059303e630024006fab8c2b" };

export interface Identity {
  hosts: { web: string; api: string };
  workspace: { uuid: string; slug: string };
  repo?: SimRepo;
}

/** Replaces substrings in every string of a JSON value in a single pass, so replacements never cascade. */
function rewrite<T>(value: T, pairs: [string, string][]): T {
  const sorted = pairs.filter(([from]) => from).sort((a, b) => b[0].length - a[0].length);
  if (sorted.length === 0) return value;
  const map = new Map(sorted);
  const pattern = new RegExp(sorted.map(([from]) => from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  return JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === "string" ? v.replace(pattern, (m) => map.get(m) ?? m) : v));
}

function identityPairs({ hosts, workspace, repo }: Identity): [string, string][] {
  const pairs: [string, string][] = [
    [CAPTURED.api, hosts.api],
    [CAPTURED.web, hosts.web],
    [CAPTURED.workspaceUuid, workspace.uuid],
    [encodeURIComponent(CAPTURED.workspaceUuid), encodeURIComponent(workspace.uuid)],
    [CAPTURED.workspaceSlug, workspace.slug],
    [CAPTURED.workspaceName, workspace.slug],
  ];
  if (repo) {
    pairs.push(
      [`${CAPTURED.workspaceSlug}/${CAPTURED.repoSlug}`, repo.fullName],
      [CAPTURED.repoUuid, repo.uuid],
      [CAPTURED.repoSlug, repo.slug],
    );
  }
  return pairs;
}

export interface LifecycleFields {
  appKey: string;
  clientKey: string;
  baseUrl: string;
  baseApiUrl: string;
}

export function installedPayload(identity: Identity, fields: LifecycleFields & { sharedSecret: string }): any {
  const body = rewrite(fixture("installed"), identityPairs(identity));
  return Object.assign(body, {
    key: fields.appKey,
    clientKey: fields.clientKey,
    sharedSecret: fields.sharedSecret,
    baseUrl: fields.baseUrl,
    baseApiUrl: fields.baseApiUrl,
  });
}

/** Same shape as installed, minus sharedSecret and actor. */
export function uninstalledPayload(identity: Identity, fields: LifecycleFields): any {
  const body = rewrite(fixture("uninstalled"), identityPairs(identity));
  return Object.assign(body, {
    key: fields.appKey,
    clientKey: fields.clientKey,
    baseUrl: fields.baseUrl,
    baseApiUrl: fields.baseApiUrl,
  });
}

export interface PushSpec {
  refType: "branch" | "tag";
  kind: "created" | "updated" | "deleted";
  name: string;
  /** the new head; for a deletion, the head that was deleted */
  sha: string;
  /** the head before an update */
  previous?: string;
}

/** Per fixture: the ref it names, the head it moves to and that head's parent. */
const PUSH_FIXTURES: Record<string, { file: string; ref: string; head: string; parent: string }> = {
  "branch:created": {
    file: "repo-push-branch-created",
    ref: "upgrades",
    head: "a1742195055d9234440410f95462fdebb05b5ac2",
    parent: "40ffc31c64d18a1080811ab25b91a7d0062e6f0f",
  },
  "branch:updated": {
    file: "repo-push-branch-updated",
    ref: "upgrades",
    head: "a1742195055d9234440410f95462fdebb05b5ac2",
    parent: "40ffc31c64d18a1080811ab25b91a7d0062e6f0f",
  },
  "branch:deleted": {
    file: "repo-push-branch-deleted",
    ref: "cache",
    head: "176ec00c7815d95e3dcb60449d6ed09111004fd8",
    parent: "7c8b2ecd125cfee14b0c432d0af7cc4016ac1bf4",
  },
  "tag:created": {
    file: "repo-push-tag-created",
    ref: "feats-of-strength",
    head: "d98f3c1d2ad48d6f7ed51281eb28ad3b233878c4",
    parent: "f670f08a94d3c0893a60a68d7179cc41065b72c9",
  },
};

/** A `{event: "repo:push", data}` body for one ref change in `identity.repo`. */
export function pushPayload(identity: Identity & { repo: SimRepo }, spec: PushSpec): any {
  const source = PUSH_FIXTURES[`${spec.refType}:${spec.kind}`];
  if (!source) throw new Error(`the simulator has no fixture for a ${spec.refType} ${spec.kind} push`);
  const payload = fixture(source.file);
  const change = payload.data.push.changes[0];
  // The fixtures cap commit lists with a placeholder string; real payloads hold only commit objects.
  if (Array.isArray(change.commits)) change.commits = change.commits.filter((c: unknown) => typeof c === "object");
  if (spec.kind === "updated") describeUpdate(change, source);

  const rewritten = rewrite(payload, [
    ...identityPairs(identity),
    [source.head, spec.sha],
    [source.parent, spec.previous ?? randomSha()],
    ...["/refs/branches/", "/refs/tags/", "/commits/", "/branch/"].map((p): [string, string] => [p + source.ref, p + spec.name]),
  ]);
  const ref = rewritten.data.push.changes[0];
  for (const side of [ref.old, ref.new]) if (side) side.name = spec.name;
  return rewritten;
}

/**
 * The "updated" fixture was captured as a creation (old: null); a real update names the previous head in
 * `old`, is not `created`, and links a compare view between both heads.
 */
function describeUpdate(change: any, source: { head: string; parent: string }): void {
  const web = `${CAPTURED.web}/${CAPTURED.workspaceSlug}/${CAPTURED.repoSlug}`;
  const api = `${CAPTURED.api}/2.0/repositories/${CAPTURED.workspaceSlug}/${CAPTURED.repoSlug}`;
  change.created = false;
  change.old = structuredClone(change.new);
  change.old.target.hash = source.parent;
  change.old.target.parents = [{ hash: randomSha(), type: "commit" }];
  change.links = {
    html: { href: `${web}/branches/compare/${source.head}..${source.parent}` },
    commits: { href: `${api}/commits?include=${source.head}&exclude=${source.parent}` },
  };
}

export interface PullRequestSpec {
  id: number;
  action: "created" | "updated" | "fulfilled" | "rejected";
  /** The source branch and its head; `repo` when it is a fork. */
  source: { branch: string; commit: string; repo?: SimRepo };
  destination: { branch: string; commit: string };
}

/**
 * A `{event: "pullrequest:<action>", data}` body for pull request `spec.id` of `identity.repo`: commits
 * as Bitbucket sends them (12 characters), a fork's repository as the source's when given.
 */
export function pullRequestPayload(identity: Identity & { repo: SimRepo }, spec: PullRequestSpec): any {
  const payload = rewrite(fixture(`pullrequest-${spec.action}`), identityPairs(identity));
  const pr = payload.data.pullrequest;
  pr.id = spec.id;
  pr.updated_on = new Date().toISOString();
  pr.source.branch.name = spec.source.branch;
  pr.source.commit.hash = spec.source.commit.slice(0, 12);
  pr.destination.branch.name = spec.destination.branch;
  pr.destination.commit.hash = spec.destination.commit.slice(0, 12);
  // The "updated" fixture was captured from a fork's pull request: the source is the repository itself
  // unless the spec names a fork.
  const fork = spec.source.repo;
  pr.source.repository = fork
    ? { ...pr.source.repository, uuid: fork.uuid, full_name: fork.fullName, name: fork.slug }
    : structuredClone(pr.destination.repository);
  return payload;
}

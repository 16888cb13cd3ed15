/** Full ref name (`refs/heads/main`, `refs/tags/v1`) → the sha it points at. */
export type RefMap = ReadonlyMap<string, string>;

export interface RefUpdate {
  ref: string;
  sha: string;
  kind: "create" | "update";
}

export interface RefPlan {
  updates: RefUpdate[];
  deletions: string[];
}

/** Branches and tags under `bitbucket/` are the app's own in GitLab (pull-request pipelines): never synced. */
export const isReserved = (ref: string) => /^refs\/(heads|tags)\/bitbucket\//.test(ref);
const synced = (ref: string) => /^refs\/(heads|tags)\//.test(ref) && !isReserved(ref);

/**
 * What to push so that GitLab's branches and tags equal Bitbucket's: every Bitbucket ref GitLab lacks or
 * has elsewhere (force included), and the deletion of refs the app pushed before that Bitbucket no longer
 * has. Refs created in GitLab itself and the app's reserved ones are left alone. Pure: the push payload is
 * only a trigger, so this compares whole ref lists and converges whatever order pushes arrived in.
 */
export function planRefSync(source: RefMap, target: RefMap, pushedBefore: ReadonlySet<string>): RefPlan {
  const updates: RefUpdate[] = [];
  for (const [ref, sha] of source) {
    if (!synced(ref)) continue;
    const current = target.get(ref);
    if (current !== sha) updates.push({ ref, sha, kind: current ? "update" : "create" });
  }
  const deletions = [...target.keys()].filter((ref) => synced(ref) && !source.has(ref) && pushedBefore.has(ref));
  return { updates: updates.sort((a, b) => a.ref.localeCompare(b.ref)), deletions: deletions.sort() };
}

import type { RefMap } from "../core/ref-plan";
import { runGit, type GitRun } from "./run-git";

/** The cache's branches and tags (an annotated tag as its tag object, as ls-remote shows it too). */
export async function localRefs(run: GitRun): Promise<RefMap> {
  const out = await runGit(["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"], run);
  return parse(out);
}

/** A remote's branches and tags, without the peeled `^{}` lines. */
export async function remoteRefs(url: string, run: GitRun): Promise<RefMap> {
  const out = await runGit(["ls-remote", "--refs", "--heads", "--tags", url], run);
  return parse(out);
}

function parse(out: string): RefMap {
  const refs = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (sha && ref) refs.set(ref, sha);
  }
  return refs;
}

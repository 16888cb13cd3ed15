import { runGit, runGitRaw, gitFailure, type GitRun } from "./run-git";

export type MergeResult = { conflict: false; sha: string } | { conflict: true; files: string[] };

// The app's merge commits are never pushed to Bitbucket; a fixed identity keeps them recognisable.
const IDENTITY = ["-c", "user.name=GitLab CI for Bitbucket", "-c", "user.email=gitlab-ci-for-bitbucket@users.noreply.invalid"];

/**
 * The merge of `source` into `destination` as a commit whose parents are the destination head and the
 * source head, made without a work tree (`git merge-tree --write-tree`, git 2.38+): what Bitbucket
 * Pipelines tests for a pull request. A conflict makes no commit and names the conflicting files.
 */
export async function mergeResult(
  run: Omit<GitRun, "what">,
  destination: string,
  source: string,
  message: string,
): Promise<MergeResult> {
  const out = await runGitRaw(["merge-tree", "--write-tree", "--name-only", "--no-messages", destination, source], {
    ...run,
    what: "Merging the pull request's branches",
  });
  // Exit 1 is a clean "conflicts"; anything else (unrelated histories, a missing object) is a failure.
  const lines = out.stdout.split("\n").filter(Boolean);
  if (out.code === 1 && lines[0]) return { conflict: true, files: lines.slice(1) };
  if (out.code !== 0 || !lines[0]) throw gitFailure({ what: "Merging the pull request's branches", peer: "git" }, out.stderr);
  const sha = (
    await runGit([...IDENTITY, "commit-tree", lines[0], "-p", destination, "-p", source, "-m", message], {
      ...run,
      what: "Writing the merge commit",
    })
  ).trim();
  return { conflict: false, sha };
}

/**
 * The full hash of a commit the cache has, from a full or abbreviated one (Bitbucket's pull-request
 * payloads carry 12 characters), or null when the cache lacks it or the prefix is ambiguous.
 */
export async function resolveCommit(run: Omit<GitRun, "what">, hash: string): Promise<string | null> {
  // A (short) hash from a payload, or one of the app's own `refs/pr/…` refs; nothing else reaches git.
  if (!/^[0-9a-f]{4,64}$/i.test(hash) && !/^refs\/pr\/\d+\/(source|destination)$/.test(hash)) return null;
  const out = await runGitRaw(["rev-parse", "--verify", "--quiet", `${hash}^{commit}`], { ...run, what: "Reading a commit" });
  const sha = out.stdout.trim();
  return out.code === 0 && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
}

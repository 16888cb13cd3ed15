import { statusKey } from "./status-key";

/**
 * The GitLab branch the app pushes a pull request's merge result to. It lives under `bitbucket/`, the
 * app's reserved prefix, which the ref sync never pushes, deletes or treats as Bitbucket's (ref-plan.ts).
 */
export const pullRequestBranch = (prId: number) => `bitbucket/pr-${prId}`;

/** The pull request id of a pipeline's ref when it is one of the app's merge-result branches, else null. */
export function pullRequestOfRef(ref: string): number | null {
  const m = /^bitbucket\/pr-([1-9][0-9]{0,9})$/.exec(ref);
  return m ? Number(m[1]) : null;
}

/**
 * The Bitbucket status key of a pull request's merge-result pipeline: one per pull request, so two pull
 * requests from one branch do not overwrite each other. `~` cannot appear in a branch name and no status
 * key of a branch has it short of 40 characters (statusKey hashes only keys of exactly 40), so this never
 * collides with a branch pipeline's key, whatever the branch is called.
 */
export const pullRequestStatusKey = (projectId: number, prId: number) => `gitlab:${projectId}:pr~${prId}`;

/**
 * The key of one job of a pull request's merge-result pipeline: a branch job's key with `pr~<id>` where
 * the branch goes. That segment has a `~`, which no branch or tag name can, so it never meets a branch
 * job's key; it differs from the pull request's pipeline key by its job part; past 40 characters it is
 * hashed as every key is (statusKey).
 */
export const pullRequestJobStatusKey = (projectId: number, prId: number, job: string) =>
  statusKey({ projectId, ref: `pr~${prId}`, job });

/**
 * Branch names as a pull request names them, safe to put in a refspec: what `git check-ref-format --branch`
 * accepts, minus anything that could read as an option or a second refspec.
 */
export function isSafeBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name.startsWith("-") || name.startsWith("/") || name.endsWith("/")) return false;
  if (name.endsWith(".") || name.endsWith(".lock") || name.includes("..") || name.includes("//") || name.includes("@{"))
    return false;
  if (name.split("/").some((part) => part.startsWith("."))) return false;
  // No control characters, space, ~ ^ : ? * [ or backslash (git's own rule).
  return !/[\x00-\x20\x7f~^:?*[\\]/.test(name);
}

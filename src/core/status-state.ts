/** Bitbucket's build states. */
export type BitbucketState = "INPROGRESS" | "SUCCESSFUL" | "FAILED" | "STOPPED";

const STATE: Record<string, BitbucketState> = {
  created: "INPROGRESS",
  waiting_for_resource: "INPROGRESS",
  preparing: "INPROGRESS",
  waiting_for_callback: "INPROGRESS",
  pending: "INPROGRESS",
  running: "INPROGRESS",
  scheduled: "INPROGRESS",
  // A pipeline blocked on a manual job is not finished: merging on it would skip the manual gate.
  manual: "INPROGRESS",
  success: "SUCCESSFUL",
  failed: "FAILED",
  canceling: "STOPPED",
  canceled: "STOPPED",
  skipped: "STOPPED",
};

/**
 * The Bitbucket state for a GitLab pipeline or job status. A failed job that is allowed to fail does
 * not block a merge, so it reads as SUCCESSFUL. Unknown statuses (GitLab adds some now and then) are
 * treated as still running rather than guessed at.
 */
export function bitbucketState(gitlabStatus: string, allowFailure = false): BitbucketState {
  if (gitlabStatus === "failed" && allowFailure) return "SUCCESSFUL";
  // Own keys only: a status such as "constructor" must not find Object.prototype's.
  return Object.hasOwn(STATE, gitlabStatus) ? STATE[gitlabStatus]! : "INPROGRESS";
}

export const isFinal = (state: BitbucketState) => state !== "INPROGRESS";

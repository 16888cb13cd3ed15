import { CiHeaderError, ciHeaderInputs, type DeclaredInputs } from "../core/ci-header-inputs";
import { pipelineContext, type PipelineContext, type PullRequestContext } from "../core/pipeline-context";
import type { GitRun } from "../git/run-git";
import { readFileAt } from "../git/read-file-at";

/** A CI file larger than this is not read: its header is a few lines, and the run holds the file in memory. */
export const CI_FILE_MAX_BYTES = 512 * 1024;
/** Reading one blob from the local cache; far above what it takes, far below the git timeout of a fetch. */
const READ_TIMEOUT_MS = 10_000;

/**
 * The pull request's context for its merge-result pipeline: the CI file of the merge commit (already in
 * the link's cache, so no GitLab call) says which facts it declares as `spec: inputs`; the rest go as
 * variables. A file that cannot be read as YAML, is too large, or lives outside the repository leaves
 * everything as variables, and `note` says why (shown on the settings page).
 */
export async function mergePipelineContext(
  run: Omit<GitRun, "what">,
  mergeSha: string,
  ciConfigPath: string | null | undefined,
  pr: PullRequestContext,
): Promise<{ context: PipelineContext; note: string | null }> {
  const declared = await declaredInputs(run, mergeSha, ciConfigPath);
  return { context: pipelineContext(pr, declared.inputs), note: declared.note };
}

async function declaredInputs(
  run: Omit<GitRun, "what">,
  mergeSha: string,
  ciConfigPath: string | null | undefined,
): Promise<{ inputs: DeclaredInputs; note: string | null }> {
  const none = new Map<string, string>();
  const path = repositoryCiFile(ciConfigPath);
  if (!path)
    return {
      inputs: none,
      note: `The CI configuration (${String(ciConfigPath).slice(0, 200)}) is not a file of this repository, so its inputs could not be read: the pull request's context went as variables`,
    };
  const file = await readFileAt(
    { ...run, timeoutMs: Math.min(run.timeoutMs, READ_TIMEOUT_MS) },
    mergeSha,
    path,
    CI_FILE_MAX_BYTES,
  );
  // No CI file: GitLab says so on the pipeline itself.
  if (file.kind === "missing") return { inputs: none, note: null };
  if (file.kind === "too-large")
    return {
      inputs: none,
      note: `${path} is larger than ${CI_FILE_MAX_BYTES / 1024} KiB and was not read for inputs: the pull request's context went as variables`,
    };
  try {
    return { inputs: ciHeaderInputs(file.text), note: null };
  } catch (e) {
    if (!(e instanceof CiHeaderError)) throw e;
    return {
      inputs: none,
      note: `The header of ${path} is not valid YAML (${e.message}): the pull request's context went as variables`,
    };
  }
}

/**
 * The repository path of the project's CI file, or null when `ci_config_path` names a file in another
 * project (`file.yml@group/project`) or a URL, which the cache does not hold. Empty means GitLab's default.
 */
export function repositoryCiFile(ciConfigPath: string | null | undefined): string | null {
  const path = (ciConfigPath ?? "").trim();
  if (!path) return ".gitlab-ci.yml";
  if (path.includes("@") || /^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path.length > 1024) return null;
  const clean = path.replace(/^\.\//, "");
  return clean.split("/").some((segment) => segment === ".." || segment === "") ? null : clean;
}

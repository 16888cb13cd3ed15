import { runGit, runGitRaw, type GitRun } from "./run-git";

export type FileAt = { kind: "text"; text: string } | { kind: "missing" } | { kind: "too-large"; size: number };

/**
 * A file of a commit the cache has, read with no work tree; its size is asked first, so a file over
 * `maxBytes` is never read. A path that is not a file there (absent, a directory, a submodule) is missing.
 */
export async function readFileAt(run: Omit<GitRun, "what">, commit: string, path: string, maxBytes: number): Promise<FileAt> {
  // `--` ends the options: the path is data, whatever it starts with.
  const listed = await runGitRaw(["ls-tree", "-l", "-z", commit, "--", path], { ...run, what: "Reading the CI file" });
  const [meta, listedPath] = listed.stdout.split("\0")[0]?.split("\t") ?? [];
  if (listed.code !== 0 || !meta || listedPath !== path) return { kind: "missing" };
  const [, type, blob, size] = meta.trim().split(/\s+/);
  if (type !== "blob" || !blob || !/^[0-9a-f]{40,64}$/.test(blob)) return { kind: "missing" };
  if (Number(size) > maxBytes) return { kind: "too-large", size: Number(size) };
  return { kind: "text", text: await runGit(["cat-file", "blob", blob], { ...run, what: "Reading the CI file" }) };
}

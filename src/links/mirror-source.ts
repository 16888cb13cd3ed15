import { sameRepositoryUrl, shownUrl } from "../core/same-repository-url";
import type { Deps } from "../deps";
import { cloneUrl } from "./mirror-credentials";

/** A pull mirror that pulls another repository than the one being linked: both, without credentials. */
export interface MirrorSourceMismatch {
  mirrorSource: string;
  repository: string;
}

/** This repository's clone URL (`{web base}/{workspace}/{repo}.git`), or null when the page did not name it. */
export async function repositoryUrl(
  deps: Pick<Deps, "findInstallation">,
  clientKey: string,
  repoFullName: string | null,
): Promise<string | null> {
  if (!repoFullName) return null;
  const installation = await deps.findInstallation(clientKey);
  return installation ? cloneUrl(installation.webBaseUrl, repoFullName) : null;
}

/** The mismatch, when GitLab showed the mirror's source (Maintainers only) and it is not this repository. */
export function mirrorSourceMismatch(
  importUrl: string | null | undefined,
  repository: string | null | undefined,
): MirrorSourceMismatch | null {
  if (!importUrl || !repository || sameRepositoryUrl(importUrl, repository)) return null;
  return { mirrorSource: shownUrl(importUrl), repository: shownUrl(repository) };
}

export const mismatchText = (m: MirrorSourceMismatch, path: string) =>
  `${path} pull-mirrors ${m.mirrorSource}, not this repository (${m.repository}): its pipelines would build the other repository's code, and their statuses would land on commits here.`;

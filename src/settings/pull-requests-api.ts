import express, { type Request, type Response } from "express";
import type { Deps } from "../deps";
import { gitlabPage } from "../core/gitlab-web-url";
import { pullRequestBranch } from "../core/pull-request-ref";
import { handle } from "../http/handle";
import { linkedRepository } from "./link-api";
import type { SettingsDoor } from "./grant";

/**
 * `GET {prefix}/repositories/{repoUuid}/pullrequests`: the open pull requests the app follows, each with
 * its last merge-result pipeline or why it has none, for the settings page.
 */
export function pullRequestsApiRouter(deps: Deps, door: SettingsDoor) {
  const router = express.Router();
  router.get(
    `${door.prefix}/repositories/:repoUuid/pullrequests`,
    door.repositoryAuth,
    handle(async (req: Request, res: Response) => {
      const link = await linkedRepository(deps, req);
      const open = (await deps.pullRequests.forLink(link.id)).filter((pr) => pr.state === "OPEN");
      res.json({
        pullRequestPipelines: link.sync === "push" && link.pullRequestPipelines,
        pullRequestForks: link.pullRequestForks,
        pullRequests: open.slice(0, 100).map((pr) => ({
          id: pr.prId,
          sourceBranch: pr.sourceBranch,
          destinationBranch: pr.destinationBranch,
          fromFork: pr.sourceRepoUuid !== null,
          sourceCommit: pr.sourceSha ?? pr.sourceCommit,
          gitlabBranch: pullRequestBranch(pr.prId),
          // "pipeline", "conflict", "forks-off", "fork-refused", "off", or null while it waits its turn.
          outcome: pr.outcome,
          pipeline:
            pr.pipelineId === null
              ? null
              : {
                  id: pr.pipelineId,
                  webUrl: gitlabPage(link.gitlabUrl, link.projectPath, "-", "pipelines", String(pr.pipelineId)),
                },
          note: pr.note,
          updatedAt: new Date(pr.updatedAt).toISOString(),
        })),
      });
    }),
  );
  return router;
}

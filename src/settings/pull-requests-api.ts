import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { gitlabPage } from "../core/gitlab-web-url";
import { pullRequestBranch } from "../core/pull-request-ref";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { linkView } from "../links/link-view";
import { linkedRepository } from "./link-api";
import type { SettingsDoor } from "./grant";

const switches = z
  .object({ pullRequestPipelines: z.boolean().optional(), pullRequestForks: z.boolean().optional() })
  .strict()
  .refine((b) => b.pullRequestPipelines !== undefined || b.pullRequestForks !== undefined, "Name a switch to change");

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
        // Merge results are pushed by the app: only push-sync links run them.
        pushSync: link.sync === "push",
        pullRequestPipelines: link.pullRequestPipelines,
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
  // The page's switches: the same fields as the link's PUT, without resending the GitLab token.
  router.put(
    `${door.prefix}/repositories/:repoUuid/pullrequests/settings`,
    // Who is asking first: no body is parsed for a caller without a valid token.
    door.repositoryAuth,
    express.json({ limit: "4kb" }),
    handle(async (req: Request, res: Response) => {
      const body = validate(switches, req.body);
      const link = await linkedRepository(deps, req);
      await deps.links.setPullRequestSwitches(link.id, body);
      deps.linkCache.forget(link.id);
      const said = [
        body.pullRequestPipelines === undefined ? null : `pull-request pipelines ${body.pullRequestPipelines ? "on" : "off"}`,
        body.pullRequestForks === undefined
          ? null
          : `forks from this workspace ${body.pullRequestForks ? "allowed" : "not allowed"}`,
      ];
      await deps.audit.record(req.grant!.clientKey, req.grant!.repoUuid, {
        actor: req.grant!.user || null,
        action: "changed",
        summary: `Turned ${said.filter(Boolean).join(", ")}`,
      });
      res.json({ link: linkView((await deps.links.byId(link.id))!) });
    }),
  );
  return router;
}

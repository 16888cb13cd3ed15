import express from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { linkView } from "../links/link-view";
import type { SettingsDoor } from "./grant";
import { linkedRepository } from "./link-api";

const reportsBody = z.object({ reports: z.boolean() }).strict();

/**
 * The Code Insights switch alone, under {prefix}/repositories/{repoUuid}: PUT link/reports with
 * `{"reports": true|false}`. The link's PUT takes it too, but needs the GitLab token again; a switch on
 * the page should not.
 */
export function reportsApiRouter(deps: Pick<Deps, "links" | "linkCache" | "audit">, door: SettingsDoor) {
  const router = express.Router();
  router.put(
    `${door.prefix}/repositories/:repoUuid/link/reports`,
    // Who is asking first: no body is parsed for a caller without a valid token.
    door.repositoryAuth,
    express.json({ limit: "1kb" }),
    handle(async (req, res) => {
      const { reports } = validate(reportsBody, req.body);
      const link = await linkedRepository(deps, req);
      if (link.reports !== reports) {
        await deps.links.setReports(link.id, reports);
        deps.linkCache.forget(link.id);
        await deps.audit.record(req.grant!.clientKey, req.grant!.repoUuid, {
          actor: req.grant!.user || null,
          action: "changed",
          summary: `Code Insights reports switched ${reports ? "on" : "off"}`,
        });
      }
      res.json({ link: linkView((await deps.links.byId(link.id)) ?? link) });
    }),
  );
  return router;
}

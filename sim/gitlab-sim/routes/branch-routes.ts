import { Router } from "express";
import { notFound, userProject } from "../api-helpers";
import type { SimState } from "../sim-state";

const DEVELOPER = 30;

/** `DELETE /projects/:id/repository/branches/:branch` (the name URL-encoded, `/` as %2F): 204, or 404. */
export function branchRoutes(state: SimState): Router {
  const router = Router();
  router.delete("/projects/:id/repository/branches/:branch", async (req, res, next) => {
    try {
      const project = userProject(state, req, res, DEVELOPER);
      const repo = await state.repos!.get(project);
      const ref = `refs/heads/${req.params.branch}`;
      if (!(await repo.resolve(ref))) throw notFound("Branch");
      await repo.deleteRef(ref);
      res.status(204).end();
    } catch (e) {
      next(e);
    }
  });
  return router;
}

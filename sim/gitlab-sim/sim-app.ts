import express, { type ErrorRequestHandler, type Express } from "express";
import { gitlabGit } from "../git-http/gitlab-git";
import { ApiError } from "./api-helpers";
import { authenticate } from "./authenticate";
import { injectFaults, type FaultQueue } from "./fault-queue";
import type { PullMirrors } from "./pull-mirrors";
import { branchRoutes } from "./routes/branch-routes";
import { hookRoutes } from "./routes/hook-routes";
import { mirrorRoutes } from "./routes/mirror-routes";
import { namespaceRoutes } from "./routes/namespace-routes";
import { pipelineRoutes } from "./routes/pipeline-routes";
import { projectRoutes } from "./routes/project-routes";
import { tokenRoutes } from "./routes/token-routes";
import type { SimState } from "./sim-state";
import type { ApiCall } from "./types";

export interface SimAppDeps {
  state: SimState;
  mirrors: PullMirrors;
  faults: FaultQueue;
  apiCalls: ApiCall[];
}

export function createSimApp({ state, mirrors, faults, apiCalls }: SimAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");

  // Every call is recorded with the status it finally got, injected faults included.
  app.use((req, res, next) => {
    res.on("finish", () => apiCalls.push({ method: req.method, path: req.path, status: res.statusCode, at: state.now() }));
    next();
  });
  app.use(injectFaults(faults, (method, path) => apiCalls.push({ method, path, status: 0, at: state.now() })));
  app.use(express.json({ limit: "1mb" }));
  app.use(express.urlencoded({ extended: true }));

  const api = express.Router();
  api.use(authenticate(state));
  api.use(projectRoutes(state), hookRoutes(state), mirrorRoutes(state, mirrors), pipelineRoutes(state));
  api.use(tokenRoutes(state), namespaceRoutes(state), branchRoutes(state));
  app.use("/api/v4", api);
  if (state.repos) app.use(gitlabGit(state, state.repos));

  // Grape's answer for a route it does not know.
  app.use((_req, res) => {
    res.status(404).json({ error: "404 Not Found" });
  });

  const renderError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof ApiError) {
      res.status(err.status).set(err.headers).json(err.body);
    } else if ((err as { type?: string }).type === "entity.parse.failed") {
      res.status(400).json({ message: "400 Bad request" });
    } else {
      console.error("gitlab-sim: unexpected error", err);
      res.status(500).json({ message: "500 Internal Server Error" });
    }
  };
  app.use(renderError);
  return app;
}

import path from "node:path";
import express from "express";
import { engine } from "express-handlebars";
import { createAddon } from "./bitbucket/addon";
import { lifecycleRouter } from "./bitbucket/lifecycle";
import { historyApiRouter } from "./bitbucket/history-api";
import { settingsApiRouter } from "./bitbucket/settings-api";
import { settingsPageRouter } from "./bitbucket/settings-page";
import { bitbucketWebhookRouter } from "./bitbucket/webhook-intake";
import type { Deps } from "./deps";
import { gitlabWebhookRouter } from "./gitlab/webhook-intake";
import { errorHandler, notFoundHandler } from "./http/error-handler";
import { opsRouter } from "./http/ops-routes";
import { requestLog } from "./http/request-log";
import { projectRoot } from "./paths";

/** Builds the express app from its parts. Listening, migrations and workers belong to server.ts. */
export async function createApp(deps: Deps): Promise<express.Express> {
  const app = express();
  app.disable("x-powered-by");
  app.engine("hbs", engine({ extname: ".hbs", defaultLayout: "layout", layoutsDir: path.join(projectRoot, "views", "layouts") }));
  app.set("view engine", "hbs");
  app.set("views", path.join(projectRoot, "views"));
  app.use(requestLog(deps.log));

  const { addon, ready } = createAddon(app, deps);

  // Public: operations endpoints and static assets.
  app.use(opsRouter(deps));
  app.use("/public", express.static(path.join(projectRoot, "public"), { maxAge: "1h", index: false }));

  // Signed by Bitbucket (each router verifies its own way) or by GitLab (per-link secret). Each route
  // parses its own body, with a size limit fitted to what the sender really sends.
  app.use(lifecycleRouter(deps, addon));
  app.use(bitbucketWebhookRouter(deps));
  app.use(gitlabWebhookRouter(deps));
  app.use(settingsPageRouter(deps, addon));
  app.use(settingsApiRouter(deps));
  app.use(historyApiRouter(deps));

  // ACE mounts the descriptor route now; its own webhook route for the same URL sits behind ours.
  await ready;
  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}

import path from "node:path";
import express from "express";
import { engine } from "express-handlebars";
import { createAddon } from "./connect/addon";
import { lifecycleRouter } from "./connect/lifecycle";
import { settingsAuth, workspaceAuth } from "./connect/settings-auth";
import { settingsPageRouter } from "./connect/settings-page";
import { bitbucketWebhookRouter } from "./connect/webhook-intake";
import type { Deps } from "./deps";
import { connectLinkAdopter } from "./forge/adopt-connect-links";
import { forgeRouter } from "./forge/forge-router";
import { forgeRepositoryAuth, forgeWorkspaceAuth } from "./forge/forge-settings-auth";
import { fitVerifier } from "./forge/verify-fit";
import { gitlabWebhookRouter } from "./gitlab/webhook-intake";
import { errorHandler, notFoundHandler } from "./http/error-handler";
import { homePageRouter } from "./http/home-page";
import { opsRouter } from "./http/ops-routes";
import { requestLog } from "./http/request-log";
import { projectRoot } from "./paths";
import type { SettingsDoor } from "./settings/grant";
import { gitlabLookupApiRouter } from "./settings/gitlab-lookup-api";
import { healthApiRouter } from "./settings/health-api";
import { linkApiRouter } from "./settings/link-api";
import { pullRequestsApiRouter } from "./settings/pull-requests-api";
import { reportsApiRouter } from "./settings/reports-api";
import { workspaceApiRouter } from "./settings/workspace-api";

/** The settings JSON API's routers, by concern, for one front door (its path prefix and its auth wall). */
const SETTINGS_API = [
  linkApiRouter,
  gitlabLookupApiRouter,
  healthApiRouter,
  workspaceApiRouter,
  reportsApiRouter,
  pullRequestsApiRouter,
];

/** Builds the express app from its parts. Listening, migrations and workers belong to runtime.ts. */
export async function createApp(deps: Deps): Promise<express.Express> {
  const app = express();
  app.disable("x-powered-by");
  app.engine("hbs", engine({ extname: ".hbs", defaultLayout: "layout", layoutsDir: path.join(projectRoot, "views", "layouts") }));
  app.set("view engine", "hbs");
  app.set("views", path.join(projectRoot, "views"));
  // First: every request gets its id and child logger, which every later log line (and 5xx body) carries.
  app.use(requestLog(deps.log));

  const { addon, ready } = createAddon(app, deps);

  // Public: what this is (GET /), operations endpoints and static assets.
  app.use(homePageRouter("GitLab CI for Bitbucket"));
  app.use(opsRouter(deps));
  app.use("/public", express.static(path.join(projectRoot, "public"), { maxAge: "1h", index: false }));

  // Inbound webhooks, each authenticated its own way before its body is trusted: Bitbucket's Connect JWT
  // (lifecycle and events), GitLab's per-link secret. Each route parses its own body, with a size limit
  // fitted to what the sender really sends.
  app.use(lifecycleRouter(deps, addon));
  app.use(bitbucketWebhookRouter(deps));
  app.use(gitlabWebhookRouter(deps));

  // The Connect edition's settings pages (Bitbucket frames them with a JWT), and the JSON API they call
  // with the token the page embeds.
  app.use(settingsPageRouter(deps, addon));
  const settingsApi = (door: SettingsDoor) => SETTINGS_API.forEach((router) => app.use(router(deps, door)));
  settingsApi({ prefix: "/api", repositoryAuth: settingsAuth(deps), workspaceAuth: workspaceAuth(deps) });

  // The Forge edition, only when FORGE_APP_ID is set (else every /forge route is a 404): its remote
  // endpoints and the same settings API behind walls that verify the Custom UI's invocation tokens.
  if (deps.config.forge) {
    const verify = fitVerifier(deps.config.forge);
    const adopt = connectLinkAdopter({ ...deps, appKey: deps.config.appKey, timeoutMs: deps.config.httpTimeoutMs });
    app.use(forgeRouter(deps, verify, adopt));
    settingsApi({
      prefix: "/forge/api",
      repositoryAuth: forgeRepositoryAuth(deps.forgeInstallations, verify, adopt),
      workspaceAuth: forgeWorkspaceAuth(deps.forgeInstallations, verify),
    });
  }

  // ACE mounts the descriptor route now; its own webhook route for the same URL sits behind ours.
  await ready;
  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}

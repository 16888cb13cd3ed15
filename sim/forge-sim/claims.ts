import { readFileSync } from "node:fs";
import path from "node:path";

const FIXTURES = path.join(__dirname, "..", "fixtures", "forge");
const fixture = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name), "utf8"));

/** One installation of the Forge app in a workspace, as Forge knows it. */
export interface ForgeInstall {
  installationId: string;
  /** Bare, as FITs carry it in `app.installation.contexts`. */
  workspaceId: string;
  apiBaseUrl: string;
  environment: string;
  /** The current app system token (what `x-forge-oauth-system` carries). */
  systemToken: string;
}

const strip = (id: string) => id.replace(/^\{|\}$/g, "");

/** Claims of a trigger or lifecycle invocation (the captured fixture, this installation's ids swapped in). */
export function triggerClaims(appId: string, install: ForgeInstall, moduleKey = "push-events"): Record<string, unknown> {
  const claims = fixture("fit-claims-trigger.json");
  for (const k of ["iat", "nbf", "exp", "jti", "iss"]) delete claims[k];
  claims.aud = appId;
  claims.app.id = appId;
  claims.app.installationId = install.installationId;
  claims.app.installation.id = install.installationId;
  claims.app.installation.contexts = [
    { name: "bitbucket", apiBaseUrl: install.apiBaseUrl, workspaceId: strip(install.workspaceId) },
  ];
  claims.app.apiBaseUrl = install.apiBaseUrl;
  claims.app.environment.type = install.environment;
  claims.app.module.key = moduleKey;
  return claims;
}

/** Claims of a UI call (invokeRemote from the repository settings page of `repoUuid`). */
export function uiClaims(
  appId: string,
  install: ForgeInstall,
  ui: { repoUuid?: string; workspaceId?: string; moduleType?: string },
): Record<string, unknown> {
  const claims = { ...triggerClaims(appId, install), ...fixture("fit-claims-ui.json") };
  const base = triggerClaims(appId, install);
  claims.app = base.app;
  claims.aud = appId;
  for (const k of ["iat", "nbf", "exp", "jti", "iss"]) delete claims[k];
  const moduleType = ui.moduleType ?? "bitbucket:repoSettingsMenuPage";
  (claims.app as { module: object }).module = { type: moduleType, key: "gitlab-link-settings" };
  const context = claims.context as { workspaceId: string; extension: Record<string, unknown> };
  context.workspaceId = `{${strip(ui.workspaceId ?? install.workspaceId)}}`;
  context.extension = { type: moduleType, ...(ui.repoUuid ? { repository: { uuid: ui.repoUuid } } : {}) };
  return claims;
}

/** Product event bodies, from the captured fixtures. */
export const pushFixture = (name = "push-event.json") => fixture(name);
export const lifecycleFixture = () => fixture("lifecycle-installed.json");
export const pullRequestFixture = () => fixture("pullrequest-event.json");

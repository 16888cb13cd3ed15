// The workspace settings page (bitbucket:workspaceSettingsMenuPage): the workspace is the installation's.
import { startPage } from "./start-page.js";

startPage(
  (_context, root) => root.setAttribute("data-api-base", "/forge/api/workspace"),
  () => import("../../public/workspace/main.js"),
);

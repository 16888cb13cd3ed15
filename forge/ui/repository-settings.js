// The repository settings page (bitbucket:repoSettingsMenuPage). The repository comes from Forge's context,
// not from the URL, and the backend checks it against the Forge Invocation Token's context.
import { startPage } from "./start-page.js";

startPage(
  (context, root) => {
    const uuid = context.extension.repository.uuid;
    root.setAttribute("data-repo-uuid", uuid);
    root.setAttribute("data-api-base", `/forge/api/repositories/${encodeURIComponent(uuid)}`);
  },
  () => import("../../public/settings/main.js"),
);

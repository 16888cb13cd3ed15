import type { BrowserContext } from "playwright-core";
import type { HostServer } from "./host-server";

/**
 * A stand-in for Bitbucket's repository settings screen: its chrome, and the app's page in an iframe
 * that all.js's AP.resize() grows or shrinks. The frame listens for the resize message our fake
 * all.js posts, as Bitbucket's host script does for the real one.
 */
export function hostPage(
  pageUrl: string,
  repoFullName: string,
  extra: { note?: string; panel?: string; frameHeight?: string; settings?: "repository" | "workspace" } = {},
): string {
  const { note = "", panel = "", frameHeight = "150px", settings = "repository" } = extra;
  const where = settings === "workspace" ? "Workspace settings" : "Repository settings";
  const nav =
    settings === "workspace"
      ? ["Workspace details", "User groups", "Installed apps"]
      : ["Repository details", "Branch restrictions", "Webhooks"];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${where} — ${escape(repoFullName)}</title>
<style>
  body { margin: 0; font: 14px/20px -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif; color: #172b4d; }
  .top { height: 56px; display: flex; align-items: center; padding: 0 16px; background: #fff; border-bottom: 1px solid #091e4224; font-weight: 600; color: #0c66e4; }
  .crumbs { padding: 16px 24px 0; color: #44546f; font-size: 14px; }
  .layout { display: flex; }
  nav { width: 232px; flex: none; padding: 16px 8px 16px 24px; }
  nav a { display: block; padding: 4px 8px; border-radius: 3px; color: #44546f; text-decoration: none; }
  nav a.on { background: #e9f2ff; color: #0c66e4; font-weight: 500; }
  main { flex: 1; min-width: 0; padding-top: 8px; }
  iframe { display: block; width: 100%; height: ${frameHeight}; border: 0; }
  .note { margin: 8px 24px; color: #626f86; font-size: 12px; }
  @media (max-width: 700px) { nav { display: none; } }
</style></head>
<body>
<div class="top">Bitbucket</div>
<div class="crumbs">${escape(repoFullName)} › ${where}</div>
${note ? `<p class="note">${escape(note)}</p>` : ""}
<div class="layout">
  <nav>${nav.map((n) => `<a href="#">${n}</a>`).join("")}<a class="on" href="#">GitLab CI</a>${panel}</nav>
  <main><iframe id="addon" title="GitLab CI" src="${escape(pageUrl)}"></iframe></main>
</div>
<script>
  addEventListener("message", function (e) {
    if (e.data && e.data.type === "gl4bb-test-resize") document.getElementById("addon").style.height = e.data.height + "px";
  });
</script>
</body></html>`;
}

/** What Bitbucket's all.js offers that the page uses: AP.resize(), sizing the frame to the content. */
export const fakeAllJs = `window.AP = {
  resize: function () {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    parent.postMessage({ type: "gl4bb-test-resize", height: height }, "*");
  }
};`;

/**
 * Serves all.js where the page looks for it (Bitbucket's origin, here the simulator's), or fails it, to
 * show the page without it.
 */
export async function routeBitbucket(context: BrowserContext, bitbucketBaseUrl: string, opts: { allJs: boolean }): Promise<void> {
  await context.route(`${bitbucketBaseUrl}/atlassian-connect/all.js`, (route) =>
    opts.allJs ? route.fulfill({ contentType: "application/javascript", body: fakeAllJs }) : route.abort("failed"),
  );
}

/** Opens the app's page framed in a Bitbucket-like host page served by `host`. */
export async function openFramed(
  context: BrowserContext,
  host: HostServer,
  pageUrl: string,
  repoFullName: string,
  settings: "repository" | "workspace" = "repository",
) {
  const url = host.serve(
    hostPage(pageUrl, repoFullName, { settings }),
    settings === "workspace"
      ? `/${repoFullName}/workspace/settings/addon/admin/gitlab-ci-for-bitbucket/workspace-settings`
      : `/${repoFullName}/admin/addon/admin/gitlab-ci-for-bitbucket/repository-settings`,
  );
  const page = await context.newPage();
  await page.goto(url);
  return { page, frame: page.frameLocator("#addon") };
}

export function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

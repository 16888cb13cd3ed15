import express from "express";

/**
 * `GET /`: a short page for a person who opens the app's address (issue 15, item 11), saying what this is
 * and linking the Connect descriptor and the probes. It names nothing of any installation.
 */
export function homePageRouter(appName: string) {
  const router = express.Router();
  const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(appName)}</title>
  <link rel="stylesheet" href="/public/settings.css">
</head>
<body>
  <main class="page">
    <h1>${escapeHtml(appName)}</h1>
    <p class="lead">A Bitbucket Cloud app that runs a repository's CI on GitLab and shows the results on Bitbucket commits and pull requests.</p>
    <p>There is nothing to do here: a workspace admin installs the app into Bitbucket from its descriptor, then each repository is linked under <em>Repository settings › GitLab CI</em>.</p>
    <ul>
      <li><a href="/atlassian-connect.json">Connect descriptor</a> (<code>/atlassian-connect.json</code>): the address to give Bitbucket.</li>
      <li><a href="/healthz">Health</a> (<code>/healthz</code>) and <a href="/readyz">readiness</a> (<code>/readyz</code>).</li>
    </ul>
  </main>
</body>
</html>
`;
  router.get("/", (_req, res) => {
    res
      .type("html")
      .set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'")
      .set("X-Content-Type-Options", "nosniff")
      .send(page);
  });
  return router;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

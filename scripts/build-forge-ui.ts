// Builds the Forge app's Custom UI (forge/static/) from the Connect edition's settings pages: the same
// templates rendered without the Connect-only parts (Bitbucket's all.js, the page token), the same CSS, and
// the same modules bundled behind an entry that swaps fetch for Forge's invokeRemote.
// Run by `npm run build:forge`, and before `npm test` and `npm run test:browser` (the manifest validator
// checks that every resource folder exists). Usage: tsx scripts/build-forge-ui.ts
import { mkdir, rm, copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";
import { create } from "express-handlebars";

const root = path.resolve(__dirname, "..");

/** One Custom UI resource per settings page; `data` fills what Connect knows from the request. */
const PAGES = [
  {
    out: "forge/static/settings",
    view: "repository-settings",
    entry: "forge/ui/repository-settings.js",
    script: "/public/settings/main.js",
    data: { repoUuid: "", repoPath: "this repository", repoSlug: "" },
  },
  {
    out: "forge/static/workspace",
    view: "workspace-settings",
    entry: "forge/ui/workspace-settings.js",
    script: "/public/workspace/main.js",
    data: { workspaceName: "this workspace" },
  },
];

const views = create({ extname: ".hbs", defaultLayout: "layout", layoutsDir: path.join(root, "views", "layouts") });

/** Custom UI is served from its own folder: assets must be relative, and the page's script is the bundle. */
function forForge(html: string, script: string): string {
  const swaps: [string, string][] = [
    [`href="/public/settings.css"`, `href="./settings.css"`],
    [`src="${script}"`, `src="./main.js"`],
  ];
  for (const [from, to] of swaps) {
    if (!html.includes(from)) throw new Error(`build-forge-ui: the page no longer contains ${from}; update the build`);
    html = html.replace(from, to);
  }
  return html;
}

export async function buildForgeUi(): Promise<void> {
  for (const page of PAGES) {
    const out = path.join(root, page.out);
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    // No `token` and no `allJs`: the layout leaves out the meta token and Bitbucket's all.js.
    const html = await views.renderView(path.join(root, "views", `${page.view}.hbs`), { title: "GitLab CI", ...page.data });
    await writeFile(path.join(out, "index.html"), forForge(html, page.script));
    await copyFile(path.join(root, "public", "settings.css"), path.join(out, "settings.css"));
    await build({
      entryPoints: [path.join(root, page.entry)],
      outfile: path.join(out, "main.js"),
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2020",
      minify: true,
      logLevel: "warning",
    });
  }
}

if (require.main === module) {
  buildForgeUi().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

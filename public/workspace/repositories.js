// The workspace page's list of linked repositories (issue 15, item 10): each with its GitLab project, its
// state in a word and a sentence, and a link to its own settings page (in Bitbucket's top window).
import { call, errorOf } from "../settings/api.js";
import { $, el, lozenge, resize } from "../settings/dom.js";

const LOZENGE = {
  ok: ["working", "success"],
  waiting: ["waiting", "default"],
  warning: ["check", "moved"],
  failing: ["failing", "removed"],
};

function row(r) {
  const [word, kind] = LOZENGE[r.state] || [r.state, "default"];
  const name = r.repoFullName || r.repoUuid;
  return el(
    "li",
    { class: "repo-row" },
    el("span", { class: "repo-name" }, r.settingsUrl ? el("a", { href: r.settingsUrl, target: "_top" }, name) : name),
    " ",
    lozenge(word, kind),
    el(
      "span",
      { class: "hint repo-detail" },
      `${r.projectPath} on ${new URL(r.gitlabUrl).host} · ${r.sync === "push" ? "push sync" : "pull mirror"}${r.tokenSource === "workspace" ? " · workspace token" : ""} — ${r.summary}`,
    ),
  );
}

export async function loadRepositories() {
  const r = await call("GET", "/repositories");
  const list = $("repositories-list");
  list.replaceChildren();
  $("repositories").hidden = false;
  if (r.status !== 200) {
    $("repositories-empty").textContent = `The linked repositories could not be loaded: ${errorOf(r).message}`;
    $("repositories-empty").hidden = false;
    return resize();
  }
  const repos = r.body.repositories;
  $("repositories-empty").textContent =
    "No repository is linked yet. Repository admins link one in Repository settings › GitLab CI.";
  $("repositories-empty").hidden = repos.length > 0;
  list.append(...repos.map(row));
  resize();
}

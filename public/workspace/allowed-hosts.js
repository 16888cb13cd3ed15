// The workspace page's allowed GitLab hosts (issue 15, item 12): where the workspace's repositories may send
// code and tokens. Any host by default; a list is enforced on linking and on every GitLab call and git command.
import { call, errorOf } from "../settings/api.js";
import { $, busy, clearFieldErrors, flash, resize, showFieldErrors } from "../settings/dom.js";
import { loadRepositories } from "./repositories.js";

function show(view) {
  const hosts = view.settings.allowedGitLabHosts;
  $("hosts-any").checked = hosts === null;
  $("hosts-listed").checked = hosts !== null;
  $("allowedGitLabHosts").value = hosts ? hosts.join("\n") : "";
  $("allowedGitLabHosts").disabled = hosts === null;
  const outside = view.linksOutsideHosts;
  $("hosts-outside").hidden = outside.length === 0;
  $("hosts-outside-text").textContent = outside
    .map((l) => `${l.repoFullName || l.repoUuid} (${new URL(l.gitlabUrl).host})`)
    .join(", ");
  resize();
}

$("hosts-any").addEventListener("change", () => ($("allowedGitLabHosts").disabled = true));
$("hosts-listed").addEventListener("change", () => {
  $("allowedGitLabHosts").disabled = false;
  $("allowedGitLabHosts").focus();
});

$("hosts").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearFieldErrors($("hosts"));
  flash("info", "");
  const hosts = $("hosts-any").checked
    ? null
    : $("allowedGitLabHosts")
        .value.split(/[\s,]+/)
        .map((h) => h.trim())
        .filter(Boolean);
  const r = await busy($("hosts-save"), "Saving…", () => call("PUT", "/settings", { allowedGitLabHosts: hosts }));
  if (r.status !== 200) {
    const err = errorOf(r);
    showFieldErrors(err.fields || {});
    return flash("error", err.message, "Allowed GitLab hosts not saved");
  }
  show(r.body);
  await loadRepositories();
  flash(
    "success",
    hosts === null
      ? "Repositories may link GitLab projects on any host."
      : `Code and tokens go only to ${r.body.settings.allowedGitLabHosts.join(", ")}: linking elsewhere is refused, and so is every call to another host.`,
    "Allowed GitLab hosts saved",
  );
});

export async function loadAllowedHosts() {
  const r = await call("GET", "/settings");
  if (r.status !== 200) return;
  $("hosts").hidden = false;
  show(r.body);
}

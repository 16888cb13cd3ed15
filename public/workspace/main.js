// The workspace settings page: the workspace's default GitLab address and token. Works with or without
// Bitbucket's all.js, which only resizes the iframe.
import { call, errorOf } from "../settings/api.js";
import { $, ago, busy, clearFieldErrors, flash, resize, showFieldErrors } from "../settings/dom.js";
import { loadAllowedHosts } from "./allowed-hosts.js";
import { loadRepositories } from "./repositories.js";

const FIELD_OF = { gitlab_unauthorized: "token", gitlab_unreachable: "gitlabUrl" };
const NEXT = {
  gitlab_unauthorized:
    "Create a token in GitLab (Preferences › Access tokens, or a group's Settings › Access tokens) with the api scope.",
  gitlab_unreachable: "Check the GitLab address: the app must be able to reach it.",
  invalid_request: "Correct the highlighted fields and try again.",
};

let current = null;

function showDefaults(d) {
  current = d;
  $("defaults-form").hidden = true;
  $("remove-confirm").hidden = true;
  $("current-actions").hidden = false;
  $("current").hidden = false;
  $("d-gitlab-url").textContent = d.gitlabUrl;
  $("d-token-hint").textContent = d.tokenHint;
  $("d-token-owner").textContent = `${d.tokenOwner.name} (@${d.tokenOwner.username})`;
  const n = d.repositoriesUsingToken;
  $("d-used").textContent = n
    ? `${n} linked repositor${n === 1 ? "y uses" : "ies use"} the workspace's token.`
    : "No linked repository uses it yet. Repository admins see it in Repository settings › GitLab CI.";
  $("d-updated").textContent = ago(d.updatedAt);
  resize();
}

function showForm(d) {
  $("current").hidden = true;
  clearFieldErrors();
  $("token").value = "";
  $("gitlabUrl").value = d ? d.gitlabUrl : $("gitlabUrl").value;
  $("form-title").textContent = d ? "Change the default GitLab" : "Set a default GitLab";
  $("cancel").hidden = !d;
  $("defaults-form").hidden = false;
  resize();
}

$("defaults-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearFieldErrors();
  flash("info", "");
  const body = { gitlabUrl: $("gitlabUrl").value.trim(), token: $("token").value.trim() };
  const r = await busy($("save"), "Checking with GitLab…", () => call("PUT", "/defaults", body));
  if (r.status !== 200) {
    const err = errorOf(r);
    const field = FIELD_OF[err.code];
    showFieldErrors(err.fields || (field ? { [field]: err.message } : {}));
    return flash("error", [err.message.replace(/\.?$/, "."), NEXT[err.code]].filter(Boolean).join(" "), "Not saved");
  }
  $("token").value = "";
  showDefaults(r.body.defaults);
  const o = r.body.defaults.tokenOwner;
  const scopes = r.body.token && r.body.token.scopes ? ` (scopes: ${r.body.token.scopes.join(", ")})` : "";
  const moved = r.body.repositoriesUpdated
    ? ` ${r.body.repositoriesUpdated} linked repositor${r.body.repositoriesUpdated === 1 ? "y" : "ies"} switched to the new token.`
    : "";
  flash(
    "success",
    `Repository admins now only pick a project on ${r.body.defaults.gitlabUrl}, with the token of ${o.name} (@${o.username})${scopes}.${moved}`,
    "Workspace defaults saved",
  );
});

$("change").addEventListener("click", () => {
  flash("info", "");
  showForm(current);
});
$("cancel").addEventListener("click", () => current && showDefaults(current));
$("remove").addEventListener("click", () => {
  flash("info", "");
  $("remove-confirm").hidden = false;
  $("current-actions").hidden = true;
  $("remove-no").focus();
  resize();
});
$("remove-no").addEventListener("click", () => {
  $("remove-confirm").hidden = true;
  $("current-actions").hidden = false;
  resize();
});
$("remove-yes").addEventListener("click", async () => {
  const r = await busy($("remove-yes"), "Removing…", () => call("DELETE", "/defaults"));
  if (r.status !== 204) return flash("error", errorOf(r).message, "Not removed");
  current = null;
  showForm(null);
  flash("success", "Repository admins now give a token of their own when they link a repository.", "Workspace defaults removed");
});

async function load() {
  const r = await call("GET", "/defaults");
  $("loading").hidden = true;
  if (r.status !== 200) return flash("error", errorOf(r).message, "The settings could not be loaded");
  if (r.body.defaults) showDefaults(r.body.defaults);
  else showForm(null);
  await Promise.all([loadRepositories(), loadAllowedHosts()]);
  resize();
}

load();

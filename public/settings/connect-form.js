// "Connect GitLab": check the token (the repository's own, or the workspace's default), then find the
// project by searching (project-picker.js), or have the app create one (new-project.js); link.
import { call, errorOf } from "./api.js";
import { $, busy, clearFieldErrors, flash, resize, showFieldErrors } from "./dom.js";
import { mirrorConfirmBody, mirrorConfirmMissing, onMirrorConfirmChange, showMirrorConfirm } from "./mirror-confirm.js";
import { newProject } from "./new-project.js";
import { showSyncChoice, syncBody } from "./sync-mode.js";
import { projectPicker } from "./project-picker.js";

const FIELD_OF = {
  gitlab_unauthorized: "token",
  gitlab_unreachable: "gitlabUrl",
  gitlab_project_not_found: "project",
  gitlab_insufficient_role: "project",
  gitlab_project_exists: "projectName",
  gitlab_namespace_refused: "namespace",
};
const INPUTS = { project: "project-search" };
// What to do next, after GitLab's own words.
const NEXT = {
  gitlab_unauthorized:
    "Create a token in GitLab (Preferences › Access tokens, or the project's Settings › Access tokens) with the api scope, and paste it here.",
  gitlab_unreachable: "Check the GitLab address: the app must be able to reach it.",
  gitlab_project_not_found: "Check that the token's user is a member of the project.",
  gitlab_insufficient_role:
    "Ask a project Owner to give the token's user the Reporter role at least (Maintainer, so the app can add its webhook).",
  gitlab_project_exists: "Choose another name, or pick the existing project instead.",
  gitlab_namespace_refused: "Pick another namespace, or ask a group Owner for the Maintainer role there.",
  bitbucket_token_failed: "Try again in a minute; if it keeps failing, reinstall the app in the workspace settings.",
  invalid_request: "Correct the highlighted fields and try again.",
};

let defaults = null; // the workspace's default GitLab address and token owner, when a workspace admin set them
let checked = null; // { gitlabUrl, token (null: the workspace's), user } once GitLab accepted the token
let picker = null; // "Pick an existing project"
let creating = null; // the "Create a new GitLab project" part

/** Shows GitLab's refusal on the field it concerns and says it at the top too. */
function showError(r, what) {
  const err = errorOf(r);
  const field = FIELD_OF[err.code];
  showFieldErrors(err.fields || (field ? { [field]: err.message } : {}), INPUTS);
  flash("error", [err.message.replace(/\.?$/, "."), NEXT[err.code]].filter(Boolean).join(" "), what);
}

const usingWorkspaceToken = () => !!defaults && document.querySelector("input[name=tokenSource]:checked").value === "workspace";

/** What the form sends GitLab's look-ups: the admin's own address and token, or only the workspace's address. */
function credentials() {
  if (usingWorkspaceToken()) return { gitlabUrl: defaults.gitlabUrl };
  return { gitlabUrl: $("gitlabUrl").value.trim(), token: $("token").value.trim() };
}

/** The credentials GitLab accepted, for the calls after the check. */
const accepted = () =>
  checked.token ? { gitlabUrl: checked.gitlabUrl, token: checked.token } : { gitlabUrl: checked.gitlabUrl };

const projectMode = () => document.querySelector("input[name=projectMode]:checked").value;

function forgetToken() {
  checked = null;
  $("token-owner").hidden = true;
  $("workspace-token-owner").hidden = true;
  $("step-project").disabled = true;
  picker.reset();
  creating.reset();
  forgetProject();
}

function forgetProject() {
  picker.forget();
  updateSave();
  resize();
}

function updateSave() {
  const create = projectMode() === "create";
  $("save").textContent = create ? "Create project and link" : "Link project";
  $("save").disabled = !checked || (create ? !creating.ready() : !picker.ready() || mirrorConfirmMissing());
}

async function checkToken() {
  clearFieldErrors($("step-token"));
  flash("info", "");
  forgetToken();
  const creds = credentials();
  const workspace = usingWorkspaceToken();
  const check = () => call("POST", "/gitlab/check", creds);
  const r = workspace ? await check() : await busy($("check-token"), "Checking…", check);
  if (r.status !== 200 && workspace) {
    const err = errorOf(r);
    return flash(
      "error",
      `${err.message.replace(/\.?$/, ".")} Ask a workspace admin to renew it under Workspace settings › GitLab CI, or use a token of this repository's own.`,
      "The workspace's token did not work",
    );
  }
  if (r.status !== 200) return showError(r, "Could not check the token");
  checked = { gitlabUrl: r.body.gitlabUrl, token: creds.token || null, user: r.body.user };
  const scopes = r.body.token && r.body.token.scopes ? ` · scopes: ${r.body.token.scopes.join(", ")}` : "";
  const expires = r.body.token && r.body.token.expiresAt ? ` · expires ${r.body.token.expiresAt}` : "";
  const owner = workspace ? $("workspace-token-owner") : $("token-owner");
  owner.textContent = `${workspace ? "The workspace's token" : "Token"} of ${r.body.user.name} (@${r.body.user.username}) on ${r.body.gitlabUrl}${scopes}${expires}`;
  owner.hidden = false;
  $("step-project").disabled = false;
  if (projectMode() === "create") await creating.load();
  else {
    $("project-search").focus();
    await picker.search($("project-search").value.trim());
  }
  updateSave();
}

async function submit(ev, onLinked) {
  ev.preventDefault();
  if (!checked) return;
  clearFieldErrors();
  flash("info", "");
  const statusMode = document.querySelector("input[name=statusMode]:checked").value;
  if (projectMode() === "create") {
    if (!creating.ready()) return;
    const r = await busy($("save"), "Creating the project…", () =>
      call("POST", "/project", { ...accepted(), ...creating.body(), statusMode, ...syncBody() }),
    );
    if (r.status !== 201) return showError(r, "Not created");
    $("token").value = "";
    forgetToken();
    return onLinked(r.body.link, r.body.webhook, { project: r.body.project, warning: r.body.warning });
  }
  if (!picker.ready()) return;
  const body = { ...accepted(), project: picker.selected().id, statusMode, ...syncBody(), ...mirrorConfirmBody() };
  const r = await busy($("save"), "Linking…", () => call("PUT", "/link", body));
  if (r.status === 409 && errorOf(r).code === "mirror_source_mismatch") {
    // GitLab showed the mirror's source only now (or it changed since the project was checked): ask.
    showMirrorConfirm(errorOf(r));
    updateSave();
    return flash("warning", errorOf(r).message, "Confirm the mirror's source");
  }
  if (r.status !== 200) return showError(r, "Not linked");
  $("token").value = "";
  forgetToken();
  onLinked(r.body.link, r.body.webhook, r.body.warning ? { warning: r.body.warning } : undefined);
}

/** Own token or the workspace's: the address is the workspace's, and the project step opens at once. */
function applyTokenSource() {
  const workspace = usingWorkspaceToken();
  $("own-token").hidden = workspace;
  $("gitlabUrl").readOnly = workspace;
  if (workspace) $("gitlabUrl").value = defaults.gitlabUrl;
  clearFieldErrors($("step-token"));
  forgetToken();
  resize();
  if (workspace) checkToken();
}

async function loadDefaults() {
  const r = await call("GET", "/workspace-defaults");
  defaults = r.status === 200 ? r.body.defaults : null;
  $("workspace-choice").hidden = !defaults;
  if (defaults) {
    const o = defaults.tokenOwner;
    $("workspace-token-who").textContent =
      `(${o.name}, @${o.username}, ending in ${defaults.tokenHint}, on ${defaults.gitlabUrl})`;
  }
}

/** Wires the form once; returns show(link) to open it, empty or to change an existing link. */
export function connectForm({ onLinked, onCancel }) {
  creating = newProject({ accepted, onChange: updateSave, showError });
  picker = projectPicker({ accepted, user: () => checked && checked.user, onChange: updateSave, showError });
  $("check-token").addEventListener("click", checkToken);
  $("token").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      checkToken();
    }
  });
  $("token").addEventListener("input", () => checked && forgetToken());
  $("gitlabUrl").addEventListener("input", () => checked && forgetToken());
  document.querySelectorAll("input[name=tokenSource]").forEach((r) => r.addEventListener("change", applyTokenSource));
  document.querySelectorAll("input[name=projectMode]").forEach((r) =>
    r.addEventListener("change", async () => {
      const create = projectMode() === "create";
      $("existing-project").hidden = create;
      $("new-project").hidden = !create;
      clearFieldErrors($("step-project"));
      updateSave();
      resize();
      if (create && checked) await creating.load();
    }),
  );
  onMirrorConfirmChange(updateSave);
  $("link-form").addEventListener("submit", (ev) => submit(ev, onLinked));
  $("cancel").addEventListener("click", onCancel);

  return async function show(link) {
    forgetToken();
    clearFieldErrors();
    $("token").value = "";
    picker.preselect(link ? link.projectPath : null);
    $("cancel").hidden = !link;
    document.querySelector('input[name=projectMode][value="existing"]').checked = true;
    $("existing-project").hidden = false;
    $("new-project").hidden = true;
    if (link) {
      $("gitlabUrl").value = link.gitlabUrl;
      document.querySelector(`input[name=statusMode][value="${link.statusMode}"]`).checked = true;
    }
    showSyncChoice(link);
    $("link-form").hidden = false;
    resize();
    await loadDefaults();
    if (defaults) {
      const source = link && link.tokenSource !== "workspace" ? "repository" : "workspace";
      document.querySelector(`input[name=tokenSource][value="${source}"]`).checked = true;
    }
    $("edit-token-hint").hidden = !link || usingWorkspaceToken();
    applyTokenSource();
  };
}

// "Connect GitLab": check the token, find the project by searching, see what linking will do, link.
import { call, errorOf } from "./api.js";
import { $, busy, clearFieldErrors, el, flash, lozenge, resize, showFieldErrors } from "./dom.js";

const FIELD_OF = {
  gitlab_unauthorized: "token",
  gitlab_unreachable: "gitlabUrl",
  gitlab_project_not_found: "project",
  gitlab_insufficient_role: "project",
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
  invalid_request: "Correct the highlighted fields and try again.",
};
const ROLE_KIND = { Maintainer: "success", Owner: "success", Developer: "moved", Reporter: "moved" };

let checked = null; // { gitlabUrl, token, user } once GitLab accepted the token
let selected = null; // the picked project, as /gitlab/project describes it
let searchTimer = 0;
let searchSeq = 0;
let preselect = null; // when changing a link: its project, picked again once it shows up

/** Shows GitLab's refusal on the field it concerns and says it at the top too. */
function showError(r, what) {
  const err = errorOf(r);
  const field = FIELD_OF[err.code];
  showFieldErrors(err.fields || (field ? { [field]: err.message } : {}), INPUTS);
  flash("error", [err.message.replace(/\.?$/, "."), NEXT[err.code]].filter(Boolean).join(" "), what);
}

function credentials() {
  return { gitlabUrl: $("gitlabUrl").value.trim(), token: $("token").value.trim() };
}

function forgetToken() {
  checked = null;
  $("token-owner").hidden = true;
  $("step-project").disabled = true;
  $("project-results").hidden = true;
  $("project-results").replaceChildren();
  $("project-search-state").textContent = "";
  forgetProject();
}

function forgetProject() {
  selected = null;
  $("project-card").hidden = true;
  $("save").disabled = true;
  resize();
}

async function checkToken() {
  clearFieldErrors($("step-token"));
  flash("info", "");
  forgetToken();
  const creds = credentials();
  const r = await busy($("check-token"), "Checking…", () => call("POST", "/gitlab/check", creds));
  if (r.status !== 200) return showError(r, "Could not check the token");
  checked = { ...creds, gitlabUrl: r.body.gitlabUrl, user: r.body.user };
  const scopes = r.body.token && r.body.token.scopes ? ` · scopes: ${r.body.token.scopes.join(", ")}` : "";
  const expires = r.body.token && r.body.token.expiresAt ? ` · expires ${r.body.token.expiresAt}` : "";
  $("token-owner").textContent =
    `Token of ${r.body.user.name} (@${r.body.user.username}) on ${r.body.gitlabUrl}${scopes}${expires}`;
  $("token-owner").hidden = false;
  $("step-project").disabled = false;
  $("project-search").focus();
  await search($("project-search").value.trim());
}

async function search(term) {
  if (!checked) return;
  const seq = ++searchSeq;
  $("project-search-state").textContent = "Searching GitLab…";
  const r = await call("POST", "/gitlab/projects", { gitlabUrl: checked.gitlabUrl, token: checked.token, search: term });
  if (seq !== searchSeq) return; // a newer search is on its way
  if (r.status !== 200) {
    $("project-search-state").textContent = "";
    return showError(r, "Could not search GitLab");
  }
  renderResults(r.body.projects, term);
}

function renderResults(projects, term) {
  const who = `@${checked.user.username}`;
  $("project-search-state").textContent = projects.length
    ? `${projects.length === 20 ? "The 20 most recently active" : projects.length} project${projects.length === 1 ? "" : "s"} ${who} is a member of${term ? ` matching “${term}”` : ""}.`
    : term
      ? `No project matching “${term}” among the projects ${who} is a member of.`
      : `${who} is not a member of any project yet.`;
  const items = projects.map((p) =>
    el(
      "li",
      { role: "option", "aria-selected": selected && selected.id === p.id ? "true" : "false" },
      el(
        "button",
        { type: "button", class: "choice-button", "data-project-id": p.id },
        el("span", { class: "choice-name" }, p.path),
        lozenge(p.role, ROLE_KIND[p.role]),
      ),
    ),
  );
  $("project-results").replaceChildren(...items);
  $("project-results").hidden = projects.length === 0;
  resize();
  const again = preselect && projects.find((p) => p.path === preselect);
  preselect = null;
  if (again) pick($("project-results").querySelector(`button[data-project-id="${again.id}"]`));
}

async function pick(button) {
  clearFieldErrors($("step-project"));
  flash("info", "");
  document.querySelectorAll("#project-results [role=option]").forEach((li) => li.setAttribute("aria-selected", "false"));
  button.parentElement.setAttribute("aria-selected", "true");
  forgetProject();
  const project = Number(button.getAttribute("data-project-id"));
  $("project-search-state").textContent = "Checking the project with GitLab…";
  const r = await call("POST", "/gitlab/project", { gitlabUrl: checked.gitlabUrl, token: checked.token, project });
  $("project-search-state").textContent = "";
  if (r.status !== 200) return showError(r, "Could not read this project");
  selected = r.body.project;
  renderCard(r.body);
}

function renderCard({ project, findings, plan, canLink }) {
  $("project-card-link").textContent = project.path;
  $("project-card-link").href = project.webUrl;
  $("project-card-role").replaceWith(Object.assign(lozenge(project.role, ROLE_KIND[project.role]), { id: "project-card-role" }));
  $("project-findings").replaceChildren(...findings.map((f) => el("li", { class: `finding finding-${f.level}` }, f.text)));
  $("project-plan").replaceChildren(...plan.map((step) => el("li", {}, step)));
  $("project-card").hidden = false;
  $("save").disabled = !canLink;
  resize();
}

async function submit(ev, onLinked) {
  ev.preventDefault();
  if (!checked || !selected) return;
  clearFieldErrors();
  flash("info", "");
  const body = {
    gitlabUrl: checked.gitlabUrl,
    project: selected.id,
    token: checked.token,
    statusMode: document.querySelector("input[name=statusMode]:checked").value,
  };
  const r = await busy($("save"), "Linking…", () => call("PUT", "/link", body));
  if (r.status !== 200) return showError(r, "Not linked");
  $("token").value = "";
  forgetToken();
  onLinked(r.body.link, r.body.webhook);
}

/** Wires the form once; returns show(link) to open it, empty or to change an existing link. */
export function connectForm({ onLinked, onCancel }) {
  $("check-token").addEventListener("click", checkToken);
  $("token").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      checkToken();
    }
  });
  $("token").addEventListener("input", () => checked && forgetToken());
  $("gitlabUrl").addEventListener("input", () => checked && forgetToken());
  $("project-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search($("project-search").value.trim()), 250);
  });
  $("project-search").addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    clearTimeout(searchTimer);
    search($("project-search").value.trim());
  });
  $("project-results").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-project-id]");
    if (button) pick(button);
  });
  $("link-form").addEventListener("submit", (ev) => submit(ev, onLinked));
  $("cancel").addEventListener("click", onCancel);

  return function show(link) {
    forgetToken();
    clearFieldErrors();
    $("token").value = "";
    $("project-search").value = link ? link.projectPath : "";
    preselect = link ? link.projectPath : null;
    $("cancel").hidden = !link;
    $("edit-token-hint").hidden = !link;
    if (link) {
      $("gitlabUrl").value = link.gitlabUrl;
      document.querySelector(`input[name=statusMode][value="${link.statusMode}"]`).checked = true;
    }
    $("link-form").hidden = false;
    resize();
  };
}

// "Pick an existing project": search the projects the token's user is a member of, pick one, and see
// what GitLab says about it (role, mirror) and what linking it will do.
import { call } from "./api.js";
import { $, clearFieldErrors, el, flash, lozenge, resize } from "./dom.js";
import { showMirrorConfirm } from "./mirror-confirm.js";

const ROLE_KIND = { Maintainer: "success", Owner: "success", Developer: "moved", Reporter: "moved" };

/**
 * Wires the picker once. `accepted()` gives the credentials GitLab accepted, `user()` whose they are
 * (null before the check), `onChange()` re-evaluates the save button, `showError(r, what)` shows a
 * refusal. Returns { search, reset, forget, preselect, ready, selected }.
 */
export function projectPicker({ accepted, user, onChange, showError }) {
  let selected = null; // the picked project, as /gitlab/project describes it
  let preselected = null; // when changing a link: its project, picked again once it shows up
  let searchTimer = 0;
  let searchSeq = 0;

  async function search(term) {
    if (!user()) return;
    const seq = ++searchSeq;
    $("project-search-state").textContent = "Searching GitLab…";
    const r = await call("POST", "/gitlab/projects", { ...accepted(), search: term });
    if (seq !== searchSeq) return; // a newer search is on its way
    if (!user()) return; // the token was forgotten meanwhile (changed, or the link was saved)
    if (r.status !== 200) {
      $("project-search-state").textContent = "";
      return showError(r, "Could not search GitLab");
    }
    renderResults(r.body.projects, term);
  }

  function renderResults(projects, term) {
    const who = `@${user().username}`;
    $("project-search-state").textContent = projects.length
      ? `${projects.length === 20 ? "The 20 most recently active" : projects.length} project${projects.length === 1 ? "" : "s"} ${who} is a member of${term ? ` matching “${term}”` : ""}.`
      : term
        ? `No project matching “${term}” among the projects ${who} is a member of.`
        : `${who} is not a member of any project yet: create one instead (above).`;
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
    const again = preselected && projects.find((p) => p.path === preselected);
    preselected = null;
    if (again) pick($("project-results").querySelector(`button[data-project-id="${again.id}"]`));
  }

  async function pick(button) {
    clearFieldErrors($("step-project"));
    flash("info", "");
    document.querySelectorAll("#project-results [role=option]").forEach((li) => li.setAttribute("aria-selected", "false"));
    button.parentElement.setAttribute("aria-selected", "true");
    forget();
    onChange();
    const project = Number(button.getAttribute("data-project-id"));
    $("project-search-state").textContent = "Checking the project with GitLab…";
    const r = await call("POST", "/gitlab/project", { ...accepted(), project });
    $("project-search-state").textContent = "";
    if (r.status !== 200) return showError(r, "Could not read this project");
    selected = { ...r.body.project, canLink: r.body.canLink };
    renderCard(r.body);
    onChange();
  }

  function renderCard({ project, findings, plan, mirrorSourceMismatch }) {
    $("project-card-link").textContent = project.path;
    $("project-card-link").href = project.webUrl;
    $("project-card-role").replaceWith(
      Object.assign(lozenge(project.role, ROLE_KIND[project.role]), { id: "project-card-role" }),
    );
    $("project-findings").replaceChildren(...findings.map((f) => el("li", { class: `finding finding-${f.level}` }, f.text)));
    $("project-plan").replaceChildren(...plan.map((step) => el("li", {}, step)));
    showMirrorConfirm(mirrorSourceMismatch || null);
    $("project-card").hidden = false;
    resize();
  }

  function forget() {
    selected = null;
    $("project-card").hidden = true;
    showMirrorConfirm(null);
  }

  function reset() {
    $("project-results").hidden = true;
    $("project-results").replaceChildren();
    $("project-search-state").textContent = "";
    forget();
  }

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

  return {
    search,
    reset,
    forget,
    /** When changing a link: search for its project, and pick it again once it shows up. */
    preselect(path) {
      $("project-search").value = path || "";
      preselected = path;
    },
    ready: () => !!selected && selected.canLink,
    selected: () => selected,
  };
}

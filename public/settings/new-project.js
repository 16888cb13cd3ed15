// "Create a new GitLab project": pick a namespace the token's user may create projects in, name the
// project (the repository's slug by default), and see what the app will do.
import { call } from "./api.js";
import { $, el, resize } from "./dom.js";
import { chosenSync, onSyncChoice, renderNamespacePlan } from "./free-namespace.js";

const root = document.getElementById("settings");
const repoPath = root.getAttribute("data-repo-path");
const repoSlug = root.getAttribute("data-repo-slug") || "";
const NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_.+\- ]*$/u;

/** GitLab's path for a name, as the app will ask for it. */
const pathOf = (name) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[-_.]+|[-_.]+$/g, "") || "project";

/**
 * Wires the part once. `accepted()` gives the credentials GitLab accepted, `onChange()` re-evaluates the
 * save button, `showError(r, what)` shows a refusal. Returns { load, reset, ready, body }.
 */
export function newProject({ accepted, onChange, showError }) {
  let namespaces = null; // null until loaded for the current token
  let loading = null;

  $("projectName").value = repoSlug;
  $("projectName").addEventListener("input", () => {
    const name = $("projectName").value.trim();
    const wrong =
      name && !NAME.test(name) ? "Use letters, digits, spaces, “_”, “.”, “+” or “-”, starting with a letter or digit" : "";
    $("projectName").toggleAttribute("aria-invalid", !!wrong);
    document.querySelector('.field-error[data-for="projectName"]').textContent = wrong;
    renderPlan();
    onChange();
  });
  $("namespace").addEventListener("change", () => {
    renderPlan();
    onChange();
  });
  onSyncChoice(() => {
    renderPlan();
    onChange();
  });

  function reset() {
    namespaces = null;
    loading = null;
    $("namespace").replaceChildren();
    $("namespace-state").textContent = "";
    if (!$("projectName").value) $("projectName").value = repoSlug;
    renderPlan();
  }

  function load() {
    if (namespaces) return Promise.resolve();
    loading ??= (async () => {
      $("namespace-state").textContent = "Asking GitLab where you may create projects…";
      const r = await call("POST", "/gitlab/namespaces", { ...accepted(), search: "" });
      loading = null;
      if (r.status !== 200) {
        $("namespace-state").textContent = "";
        return showError(r, "Could not list the namespaces");
      }
      namespaces = r.body.namespaces;
      $("namespace").replaceChildren(
        ...namespaces.map((n) =>
          el("option", { value: n.id }, `${n.fullPath}${n.kind === "user" ? " (personal)" : ""}${n.plan ? ` · ${n.plan}` : ""}`),
        ),
      );
      const others = r.body.others
        ? ` ${r.body.others} other group${r.body.others === 1 ? "" : "s"} where the role is below Developer ${r.body.others === 1 ? "is" : "are"} left out.`
        : "";
      $("namespace-state").textContent = namespaces.length
        ? `${namespaces.length} namespace${namespaces.length === 1 ? "" : "s"} where you may create projects.${others}`
        : `GitLab lets this token create projects nowhere.${others} Ask a group Owner for the Developer role, or pick an existing project.`;
      renderPlan();
      onChange();
    })();
    return loading;
  }

  const current = () => namespaces && namespaces.find((n) => String(n.id) === $("namespace").value);
  const validName = () => NAME.test($("projectName").value.trim());

  function renderPlan() {
    const ns = current();
    const name = $("projectName").value.trim();
    const target = ns && name ? `${ns.fullPath}/${pathOf(name)}` : "the new project";
    renderNamespacePlan(ns);
    const hook =
      "The app adds its webhook to the project; each pipeline's result shows as a build status on commits and pull requests here.";
    const steps =
      chosenSync() === "push"
        ? [
            `GitLab creates ${target}, a private, empty project.`,
            `The app pushes ${repoPath}'s branches and tags to it now and seconds after each push here (push sync), and starts a pipeline for each branch or tag it pushed. Nothing of Bitbucket's is given to GitLab.`,
            hook,
          ]
        : [
            `GitLab creates ${target}, a private “CI/CD for external repository” project that pull-mirrors ${repoPath} and runs a pipeline for each mirror update.`,
            "GitLab clones with a Bitbucket access token the app gets for itself from Bitbucket: no password of yours. The token lives 2 hours, so the app gives GitLab a fresh one before each mirror update.",
            hook,
          ];
    $("new-project-plan").replaceChildren(...steps.map((s) => el("li", {}, s)));
    resize();
  }

  return {
    load,
    reset,
    ready: () => !!current() && validName(),
    body: () => ({
      namespaceId: Number($("namespace").value),
      projectName: $("projectName").value.trim(),
      ...(chosenSync() && { sync: chosenSync() }),
    }),
  };
}

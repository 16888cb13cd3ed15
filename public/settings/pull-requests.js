// "Pull requests": the merge-result pipeline switches and the open pull requests with their last
// merge-result pipeline (or why they have none). The panel builds itself inside the linked view, so the
// page's template stays as it is.
import { call, errorOf } from "./api.js";
import { $, ago, el, flash, lozenge, resize } from "./dom.js";

const OUTCOME = {
  pipeline: ["pipeline", "inprogress"],
  conflict: ["conflict", "removed"],
  "forks-off": ["fork: off", "moved"],
  "fork-refused": ["fork: refused", "removed"],
  off: ["off", "default"],
};

function panel() {
  let node = $("pull-requests");
  if (node) return node;
  node = el(
    "div",
    { class: "panel", id: "pull-requests", "aria-labelledby": "pull-requests-title" },
    el("h3", { id: "pull-requests-title" }, "Pull requests"),
    el(
      "p",
      {},
      el(
        "label",
        {},
        el("input", { type: "checkbox", id: "pr-pipelines" }),
        " Run a GitLab pipeline on each pull request's merge result",
      ),
    ),
    el(
      "p",
      {},
      el("label", {}, el("input", { type: "checkbox", id: "pr-forks" }), " Also for pull requests from forks in this workspace"),
    ),
    el("p", { class: "hint", id: "pr-hint" }),
    el("ul", { id: "pr-list", class: "history" }),
  );
  $("linked").insertBefore(node, $("linked-actions"));
  for (const [id, field] of [
    ["pr-pipelines", "pullRequestPipelines"],
    ["pr-forks", "pullRequestForks"],
  ]) {
    $(id).addEventListener("change", async (ev) => {
      const r = await call("PUT", "/pullrequests/settings", { [field]: ev.target.checked });
      if (r.status !== 200) {
        ev.target.checked = !ev.target.checked;
        return flash("error", errorOf(r).message, "The switch could not be changed");
      }
      loadPullRequests();
    });
  }
  return node;
}

function item(pr) {
  const [label, kind] = OUTCOME[pr.outcome] || ["waiting", "default"];
  const pipeline = pr.pipeline
    ? el("a", { href: pr.pipeline.webUrl, target: "_blank", rel: "noopener noreferrer" }, `pipeline #${pr.pipeline.id}`)
    : null;
  return el(
    "li",
    {},
    lozenge(label, kind),
    ` #${pr.id} ${pr.sourceBranch} → ${pr.destinationBranch}${pr.fromFork ? " (fork)" : ""} `,
    pipeline,
    " ",
    el("span", { class: "hint" }, ago(pr.updatedAt)),
    pr.note ? el("div", { class: "hint" }, pr.note) : null,
  );
}

/** Shows the panel for a linked repository; hidden when the API is unavailable. */
export async function loadPullRequests() {
  const r = await call("GET", "/pullrequests");
  if (r.status !== 200) {
    if ($("pull-requests")) $("pull-requests").hidden = true;
    return;
  }
  const node = panel();
  node.hidden = false;
  const pushSync = r.body.pushSync;
  $("pr-pipelines").checked = r.body.pullRequestPipelines;
  $("pr-pipelines").disabled = !pushSync;
  $("pr-forks").checked = r.body.pullRequestForks;
  $("pr-hint").textContent = !pushSync
    ? "Merge-result pipelines need push sync: the app pushes each merge result to GitLab as bitbucket/pr-<id>."
    : r.body.pullRequests.length === 0
      ? "No open pull requests yet."
      : "Each result shows on the pull request, under a status of its own.";
  $("pr-list").replaceChildren(...r.body.pullRequests.map(item));
  resize();
}

// How pushes reach GitLab: the choice in the form (push sync or GitLab's pull mirror), and, once linked,
// the sync panel (mode, last sync, "Sync now", warnings). Built here, inserted beside the page's own parts.
import { call, errorOf } from "./api.js";
import { $, ago, busy, el, flash, lozenge, resize } from "./dom.js";

const PUSH_HELP =
  "The app pushes this repository's branches and tags to GitLab seconds after each push, on every GitLab tier (Free too), " +
  "and creates one pipeline per pushed branch or tag. It needs a token that may push: on gitlab.com Free, a bot user's " +
  "personal access token with write_repository (or api); project or group access tokens where the tier allows them " +
  "(Premium on gitlab.com, any tier self-managed). Deploy tokens cannot push.";
const MIRROR_HELP =
  "GitLab's pull mirror fetches from Bitbucket (GitLab Premium or Ultimate); the app asks it to update on each push, " +
  "and GitLab spaces updates at least 5 minutes apart.";
const RUNS_AS =
  "Pipelines run as the GitLab user who owns the token. On gitlab.com a new bot user must be verified before it may run pipelines on shared runners.";
const VIA = { push: "a push event", sweep: "the catch-up sweep (no push event came)", manual: "Sync now" };

let current = null;

/** replaceChildren without the parts left out (null, false). */
const fill = (id, ...parts) => $(id).replaceChildren(...parts.filter(Boolean));

/** The form's step: the two modes, neither chosen for a new link (the app then picks, see the hint). */
function fieldset() {
  let set = $("step-sync");
  if (set) return set;
  const choice = (value, title, help) =>
    el(
      "label",
      { class: "choice" },
      el("input", { type: "radio", name: "sync", value }),
      el("span", {}, el("strong", {}, title), el("span", { class: "hint" }, ` ${help}`)),
    );
  set = el(
    "fieldset",
    { class: "step", id: "step-sync" },
    el("legend", {}, "How pushes reach GitLab"),
    choice("push", "Push sync (any tier, seconds).", PUSH_HELP),
    choice("mirror", "GitLab pull mirror.", MIRROR_HELP),
    el(
      "p",
      { class: "hint", id: "sync-default-hint" },
      "Left unchosen, the app pushes when the token is a Maintainer's and the project is no pull mirror, else it uses the mirror. The project check below says whether the token may push.",
    ),
  );
  $("step-mode").before(set);
  return set;
}

/** Shows the choice in the form, set to the link's mode when editing one. */
export function showSyncChoice(link) {
  const set = fieldset();
  set.querySelectorAll("input[name=sync]").forEach((input) => (input.checked = !!link && input.value === link.sync));
  $("sync-default-hint").hidden = !!link;
}

/** `{ sync }` for the link or project body when the admin chose a mode; `{}` leaves it to the app. */
export function syncBody() {
  const chosen = document.querySelector("input[name=sync]:checked");
  return chosen ? { sync: chosen.value } : {};
}

function panel() {
  let box = $("sync-panel");
  if (box) return box;
  box = el(
    "div",
    { class: "panel", id: "sync-panel", "aria-labelledby": "sync-title" },
    el(
      "div",
      { class: "panel-header" },
      el("h3", { id: "sync-title" }, "Sync"),
      el("button", { type: "button", id: "sync-now", class: "button button-subtle" }, "Sync now"),
    ),
    el(
      "dl",
      { class: "health" },
      el("dt", {}, "Mode"),
      el("dd", { id: "sync-mode" }),
      el("dt", {}, "Last sync"),
      el("dd", { id: "sync-last" }),
    ),
    el("div", { id: "sync-warnings" }),
  );
  $("health").before(box);
  $("sync-now").addEventListener("click", syncNow);
  // The health check (health.js) announces GitLab's answer: its visibility warning goes here.
  document.addEventListener("settings:health", (ev) => renderVisibility(ev.detail));
  return box;
}

/** The linked view's sync panel, from the link alone. */
export function renderSync(link) {
  current = link;
  panel();
  const push = link.sync === "push";
  fill(
    "sync-mode",
    lozenge(push ? "push sync" : "pull mirror", push ? "success" : "default"),
    el("span", {}, ` ${push ? "The app pushes Bitbucket's branches and tags to GitLab after each push." : MIRROR_HELP}`),
    push ? el("p", { class: "hint" }, RUNS_AS) : null,
  );
  $("sync-now").hidden = false;
  const s = link.lastSync;
  if (!push && !s) fill("sync-last", el("span", { class: "hint" }, "GitLab's mirror moves the refs (see Health)."));
  else if (!s)
    fill("sync-last", el("span", { class: "hint" }, "Not yet: the next push, the catch-up sweep or Sync now starts it."));
  else {
    const refs = [...s.pushed, ...s.deleted.map((r) => `${r} (deleted)`)];
    fill(
      "sync-last",
      lozenge(s.error ? "failed" : "done", s.error ? "removed" : "success"),
      el(
        "span",
        {},
        ` ${ago(s.at)}, in ${(s.durationMs / 1000).toFixed(1)} s${s.via ? `, started by ${VIA[s.via] || s.via}` : ""}: ` +
          (refs.length ? `pushed ${refs.join(", ")}` : "GitLab was already equal") +
          (s.pipelines.length ? `; pipelines for ${s.pipelines.join(", ")}.` : "."),
      ),
      s.error ? el("p", { class: "finding finding-error" }, s.error) : null,
      s.missedPushAt
        ? el(
            "p",
            { class: "finding finding-warning" },
            `On ${new Date(s.missedPushAt).toLocaleString()} the catch-up sweep found changes no push event had told the app about: Bitbucket's push events are going missing.`,
          )
        : null,
    );
  }
  resize();
}

function renderVisibility(health) {
  const v = health && health.visibility;
  fill("sync-warnings", v && v.warning && el("p", { class: "finding finding-warning" }, v.warning));
  resize();
}

async function syncNow() {
  flash("info", "");
  const r = await busy($("sync-now"), "Queuing…", () => call("POST", "/sync"));
  if (r.status !== 202) return flash("error", errorOf(r).message, "Could not sync");
  flash(
    "success",
    r.body.queued === "push"
      ? "The app compares the refs and pushes what GitLab lacks."
      : "GitLab is asked to update its mirror.",
    "Sync queued",
  );
  // The sync runs in the background: read the link again every few seconds until its outcome is there.
  const before = JSON.stringify(current && current.lastSync);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 3000));
    const again = await call("GET", "/link");
    if (again.status !== 200) return;
    if (JSON.stringify(again.body.link.lastSync) !== before) return renderSync(again.body.link);
  }
}

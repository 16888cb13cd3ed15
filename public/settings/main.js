// The repository settings page: linked or not, it shows one screen. Works with or without Bitbucket's
// all.js, which only resizes the iframe.
import { call, errorOf } from "./api.js";
import { $, flash, resize } from "./dom.js";
import { connectForm } from "./connect-form.js";
import { loadHealth, recheck, resend } from "./health.js";
import { loadHistory } from "./history.js";
import { renderFacts, showLinked, wireUnlink } from "./linked-view.js";
import { renderSync } from "./sync-mode.js";

const REFRESH_MS = 15_000;
let current = null;

function linked(link, webhook) {
  current = link;
  showLinked(link, webhook);
  renderSync(link);
  loadHealth();
  loadHistory();
}

const showForm = connectForm({
  onLinked(link, webhook, created) {
    linked(link, webhook);
    if (created && created.warning) return flash("warning", created.warning, `Created ${created.project.path}, without a mirror`);
    flash(
      "success",
      webhook.registered
        ? `Pushes to this repository now update the GitLab mirror, and ${link.projectPath}'s pipelines report back here.`
        : `Add the webhook below in GitLab, and ${link.projectPath}'s pipelines will report back here.`,
      created ? `Created ${link.projectPath} in GitLab and linked it` : `Linked to ${link.projectPath}`,
    );
  },
  onCancel() {
    if (current) showLinked(current);
  },
});

function openForm(link) {
  $("linked").hidden = true;
  showForm(link);
}

$("edit").addEventListener("click", () => {
  flash("info", "");
  openForm(current);
});
$("recheck").addEventListener("click", () =>
  recheck((link) => {
    current = link;
    renderFacts(link);
    setTimeout(loadHistory, 1500);
  }),
);
$("health-failed").addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-resend]");
  if (button) resend(button);
});
wireUnlink(
  () => current,
  () => {
    current = null;
    openForm(null);
  },
);

async function load() {
  const r = await call("GET", "/link");
  $("loading").hidden = true;
  if (r.status === 200) linked(r.body.link);
  else if (r.status === 404) openForm(null);
  else flash("error", errorOf(r).message, "The settings could not be loaded");
  resize();
}

// The stored mirror state changes on every push: keep it fresh while the page is in view.
setInterval(async () => {
  if (!current || document.hidden || $("linked").hidden) return;
  loadHistory();
  const r = await call("GET", "/link");
  if (r.status !== 200) return;
  const changed = fingerprint(r.body.link) !== fingerprint(current);
  current = r.body.link;
  if (changed) renderFacts(current);
  if (changed) renderSync(current);
}, REFRESH_MS);

const fingerprint = (link) =>
  JSON.stringify([link.updatedAt, link.mirror, link.webhookLastReceivedAt, link.webhookMissedAt, link.lastSync]);

load();

// The repository settings page: linked or not, it shows one screen. Works with or without Bitbucket's
// all.js, which only resizes the iframe.
import { call, errorOf } from "./api.js";
import { $, flash, resize } from "./dom.js";
import { connectForm } from "./connect-form.js";
import { loadActivity } from "./activity.js";
import { autoRefresh, followUp, refreshSoon } from "./auto-refresh.js";
import { loadHealth, recheck, resend } from "./health.js";
import { renderFacts, showLinked, wireUnlink } from "./linked-view.js";
import { wireWebhookSecret } from "./webhook-secret.js";
import { showReports } from "./reports.js";
import { loadPullRequests } from "./pull-requests.js";
import { renderSync } from "./sync-mode.js";

// The stored link (no GitLab call) is read this often to notice a push; health then refreshes itself.
const REFRESH_MS = 5_000;
let current = null;

async function linked(link, webhook) {
  current = link;
  showLinked(link, webhook);
  renderSync(link);
  showReports(link);
  loadActivity();
  followUp(await loadHealth());
  loadPullRequests();
}

autoRefresh({ active: () => !!current && !$("linked").hidden, onRound: () => loadActivity() });

const showForm = connectForm({
  onLinked(link, webhook, created) {
    linked(link, webhook);
    if (created && created.warning && created.project)
      return flash("warning", created.warning, `Created ${created.project.path}, without a mirror`);
    if (created && created.warning) return flash("warning", created.warning, `Linked to ${link.projectPath}`);
    flash(
      "success",
      webhook.registered
        ? `Pushes to this repository now update the GitLab mirror, and ${link.projectPath}'s pipelines report back here.`
        : `Add the webhook below in GitLab, and ${link.projectPath}'s pipelines will report back here.`,
      created && created.project ? `Created ${link.projectPath} in GitLab and linked it` : `Linked to ${link.projectPath}`,
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
$("recheck").addEventListener("click", async () => {
  const health = await recheck((link) => {
    current = link;
    renderFacts(link);
  });
  loadActivity();
  followUp(health);
});
$("health-failed").addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-resend]");
  if (button) resend(button).then(refreshSoon);
});
wireWebhookSecret((link) => {
  current = link;
  renderFacts(link);
  loadActivity();
});
wireUnlink(
  () => current,
  () => {
    current = null;
    openForm(null);
  },
);

// link-state answers 200 {"link": null} for an unlinked repository: GET /link's 404 would show as an
// error in the browser's console although nothing is wrong.
async function load() {
  const r = await call("GET", "/link-state");
  $("loading").hidden = true;
  if (r.status === 200 && r.body.link) linked(r.body.link);
  else if (r.status === 200) openForm(null);
  else flash("error", errorOf(r).message, "The settings could not be loaded");
  resize();
}

// The stored mirror state changes on every push: keep it fresh while the page is in view, and when it
// changed (a push arrived), let the health panel follow the work until it settles.
setInterval(async () => {
  if (!current || document.hidden || $("linked").hidden) return;
  loadPullRequests();
  const r = await call("GET", "/link-state");
  if (r.status !== 200 || !r.body.link) return;
  const changed = fingerprint(r.body.link) !== fingerprint(current);
  current = r.body.link;
  if (!changed) return;
  renderFacts(current);
  renderSync(current);
  loadActivity();
  refreshSoon();
}, REFRESH_MS);

const fingerprint = (link) =>
  JSON.stringify([link.updatedAt, link.mirror, link.webhookLastReceivedAt, link.webhookMissedAt, link.lastSync]);

load();

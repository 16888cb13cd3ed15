// The linked state: which project, how statuses are posted, the one-time manual webhook, unlinking.
import { call, errorOf } from "./api.js";
import { $, busy, flash, resize } from "./dom.js";
import { renderStored } from "./health.js";
import { showManualHook } from "./webhook-secret.js";

const MODES = { pipeline: "one per pipeline", jobs: "one per job", both: "one per pipeline and one per job" };

export function showLinked(link, webhook) {
  $("link-form").hidden = true;
  $("unlink-confirm").hidden = true;
  $("linked-actions").hidden = false;
  $("linked").hidden = false;
  renderFacts(link);
  $("manual-hook").hidden = true;
  if (webhook && !webhook.registered) showManualHook(webhook);
  resize();
}

export function renderFacts(link) {
  const a = $("project-link");
  a.textContent = link.projectPath;
  a.href = link.projectWebUrl;
  $("gitlab-url").textContent = link.gitlabUrl;
  $("status-mode").textContent = MODES[link.statusMode] || link.statusMode;
  $("token-hint").textContent = link.tokenHint;
  $("mirror-managed").hidden = $("mirror-managed-label").hidden = !link.mirrorManaged;
  $("token-source").textContent = link.tokenSource === "workspace" ? "The workspace's token," : "This repository's token,";
  renderStored(link);
}

/** Unlinking asks first, in the page: Connect iframes may not show the browser's confirm dialog. */
export function wireUnlink(current, onUnlinked) {
  $("unlink").addEventListener("click", () => {
    flash("info", "");
    $("unlink-question").textContent = `Unlink ${current().projectPath}?`;
    $("unlink-confirm").hidden = false;
    $("linked-actions").hidden = true;
    $("unlink-no").focus();
    resize();
  });
  $("unlink-no").addEventListener("click", () => {
    $("unlink-confirm").hidden = true;
    $("linked-actions").hidden = false;
    resize();
  });
  $("unlink-yes").addEventListener("click", async () => {
    const path = current().projectPath;
    const r = await busy($("unlink-yes"), "Unlinking…", () => call("DELETE", "/link"));
    if (r.status !== 204) return flash("error", errorOf(r).message, "Unlinking failed");
    onUnlinked();
    flash("success", `Unlinked ${path}. The app removed its GitLab webhook and posts no more statuses here.`, "Unlinked");
  });
}

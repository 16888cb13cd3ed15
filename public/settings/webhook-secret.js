// The webhook's secret token: shown once (after linking with a token that cannot add the webhook, or
// after "New secret"), with a Copy button; "New secret" makes another one when it was lost or leaked.
import { call, errorOf } from "./api.js";
import { $, busy, flash, resize } from "./dom.js";

/** Shows the box that asks the admin to add the webhook in GitLab, with the URL and the one-time secret. */
export function showManualHook(webhook) {
  $("manual-hook-reason").textContent = webhook.reason || "The app could not add the webhook itself.";
  $("manual-hook-url").textContent = webhook.url;
  $("manual-hook-secret").textContent = webhook.secret || "";
  $("copy-secret").hidden = !webhook.secret;
  $("copy-secret").textContent = "Copy";
  $("manual-hook").hidden = false;
  resize();
}

/** Copies through the Clipboard API, or by selecting the text where a frame may not use it. */
async function copyText(node) {
  try {
    await navigator.clipboard.writeText(node.textContent);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return document.execCommand("copy");
  }
}

/** Wires Copy and New secret once; `onLink(link)` takes the link the answer carries. */
export function wireWebhookSecret(onLink) {
  $("copy-secret").addEventListener("click", async () => {
    const ok = await copyText($("manual-hook-secret"));
    $("copy-secret").textContent = ok ? "Copied" : "Select and copy it";
  });
  $("new-secret").addEventListener("click", async () => {
    flash("info", "");
    const r = await busy($("new-secret"), "Making a new secret…", () => call("POST", "/webhook-secret"));
    if (r.status !== 200) return flash("error", errorOf(r).message, "No new secret");
    onLink(r.body.link);
    if (r.body.webhook.registered) {
      $("manual-hook").hidden = true;
      return flash("info", "The app gave its GitLab webhook the new secret; the old one no longer works.", "New webhook secret");
    }
    showManualHook({
      ...r.body.webhook,
      reason: "Paste the new secret into the webhook in GitLab: the old one no longer works.",
    });
    flash("info", "Copy it now: it is shown only this once.", "New webhook secret");
  });
}

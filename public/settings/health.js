// The health panel: what the link last recorded, then what GitLab says right now.
import { call, errorOf } from "./api.js";
import { $, ago, busy, el, flash, lozenge, resize } from "./dom.js";
import { renderPublished } from "./reports.js";

const MIRROR_KIND = { finished: "success", failed: "removed", started: "inprogress", scheduled: "inprogress" };
const BITBUCKET_KIND = { SUCCESSFUL: "success", FAILED: "removed", INPROGRESS: "inprogress", STOPPED: "default" };
// The names Bitbucket shows for its build states.
const STATE_NAME = { SUCCESSFUL: "successful", FAILED: "failed", INPROGRESS: "in progress", STOPPED: "stopped" };

let stored = null; // the link last rendered: what the app itself recorded about the webhook

const row = (id, ...children) => $(id).replaceChildren(...children.filter(Boolean));
const text = (t, cls) => el("span", { class: cls }, t);

/** From the link alone (no GitLab call): the mirror as last seen when a push triggered it, and the webhook. */
export function renderStored(link) {
  stored = link;
  const m = link.mirror;
  if (m && m.triggerBlocked) row("health-mirror", ...scheduleParts(m));
  else if (!m) row("health-mirror", ...mirrorParts(null));
  else if (m.triggerError) row("health-mirror", lozenge("trigger failed", "removed"), text(` ${m.triggerError}`));
  else row("health-mirror", ...mirrorParts(m.updateStatus, m.lastSuccessfulUpdateAt, m.lastError));

  const heard = lastHeard(link);
  const waiting = !link.webhookRegistered && !link.webhookLastReceivedAt;
  row(
    "health-webhook",
    link.webhookRegistered
      ? lozenge("registered", "success")
      : waiting
        ? lozenge("waiting for the first delivery", "inprogress")
        : lozenge("added by hand", "default"),
    text(
      link.webhookRegistered
        ? ` Added by the app.${heard}`
        : waiting
          ? " Add it in GitLab (Settings › Webhooks): this turns active when GitLab's first delivery arrives."
          : ` The app cannot check a webhook it did not add.${heard}`,
    ),
    link.webhookMissedAt &&
      el(
        "p",
        { class: "finding finding-warning" },
        `On ${new Date(link.webhookMissedAt).toLocaleString()} a pipeline finished without GitLab calling the webhook: check it under Settings › Webhooks.`,
      ),
  );
  resize();
}

const lastHeard = (link) =>
  link && link.webhookLastReceivedAt ? ` Last delivery received ${ago(link.webhookLastReceivedAt)}.` : "";

/** The token cannot start mirror updates (a Developer's): GitLab pulls on its own schedule; say how to do better. */
function scheduleParts(m) {
  return [
    lozenge("on GitLab's schedule", "default"),
    text(` ${m.triggerBlocked}`),
    m.lastSuccessfulUpdateAt && text(` Last successful update ${ago(m.lastSuccessfulUpdateAt)}.`, "hint"),
  ];
}

function mirrorParts(status, lastSuccess, lastError) {
  if (!status || status === "none") {
    return [lozenge("not yet", "default"), text(" GitLab has not updated the mirror yet; the app asks it to on the next push.")];
  }
  return [
    lozenge(status || "unknown", MIRROR_KIND[status] || "default"),
    text(lastSuccess ? ` Last successful update ${ago(lastSuccess)}.` : " No successful update yet."),
    lastError && el("p", { class: "finding finding-error" }, lastError),
  ];
}

/** What GitLab answered just now. */
export function renderLive(health) {
  const m = health.mirror;
  if (stored && stored.mirror && stored.mirror.triggerBlocked) row("health-mirror", ...scheduleParts(stored.mirror));
  else if (m.state === "ok") row("health-mirror", ...mirrorParts(m.updateStatus, m.lastSuccessfulUpdateAt, m.lastError));
  else row("health-mirror", lozenge("unknown", "moved"), text(` ${m.message}`));

  const w = health.webhook;
  const wKind =
    { ok: "success", failing: "removed", missing: "removed", manual: "default", waiting: "inprogress" }[w.state] || "moved";
  const wLabel =
    { ok: "active", failing: "failing", missing: "missing", manual: "added by hand", waiting: "waiting for the first delivery" }[
      w.state
    ] || "unknown";
  const current = $("health-webhook").querySelector(".finding");
  row("health-webhook", lozenge(wLabel, wKind), text(` ${w.message}.${lastHeard(stored)}`), current);

  const p = health.pipeline;
  $("health-pipeline-label").textContent = p.ref ? `Latest pipeline on ${p.ref}` : "Latest pipeline";
  if (p.state === "found") {
    row(
      "health-pipeline",
      lozenge(p.status, BITBUCKET_KIND[p.bitbucketState] || "inprogress"),
      text(" "),
      el("a", { href: p.webUrl, target: "_blank", rel: "noopener noreferrer" }, `#${p.id}`),
      text(` at ${p.sha.slice(0, 8)}${p.updatedAt ? `, updated ${ago(p.updatedAt)}` : ""}`),
    );
  } else if (p.state === "none") row("health-pipeline", text(`No pipeline on ${p.ref || "the default branch"} yet.`, "hint"));
  else row("health-pipeline", lozenge("unknown", "moved"), text(` ${p.message}`));

  row(
    "health-bitbucket",
    ...(health.bitbucket.length
      ? health.bitbucket.map((s) =>
          el(
            "span",
            { class: "status" },
            lozenge(STATE_NAME[s.state] || s.state, BITBUCKET_KIND[s.state]),
            text(` ${s.name || "Pipeline"}`),
          ),
        )
      : [text(p.state === "found" ? "No status posted for this commit yet." : "—", "hint")]),
  );
  renderFailed(health.failed || []);
  document.dispatchEvent(new CustomEvent("settings:health", { detail: health }));
  renderPublished(health.reports);
  $("health-checked").textContent = `Last checked with GitLab at ${new Date(health.checkedAt).toLocaleTimeString()}${
    health.inFlight ? " · work in progress: this panel refreshes itself" : ""
  }.`;
  resize();
}

/** Deliveries the app gave up on (Bitbucket or GitLab refused them for good), each with a re-send. */
function renderFailed(failed) {
  $("health-failed-label").hidden = $("health-failed").hidden = failed.length === 0;
  const items = failed.map((f) =>
    el(
      "li",
      { class: "finding finding-error" },
      el("span", {}, `${f.what}: `),
      el("span", { class: "failed-error" }, f.error || "refused"),
      el("span", { class: "hint" }, ` (${f.attempts} attempt${f.attempts === 1 ? "" : "s"}, last ${ago(f.lastTriedAt)}) `),
      el("button", { type: "button", class: "button button-compact", "data-resend": f.id }, "Re-send"),
    ),
  );
  $("health-failed").firstElementChild.replaceChildren(...items);
}

/** "Re-send" of one failed delivery: queued again; a status re-reads GitLab and posts its current result. */
export async function resend(button) {
  flash("info", "");
  const id = button.getAttribute("data-resend");
  const r = await busy(button, "Re-sending…", () => call("POST", `/failed/${id}/resend`));
  if (r.status !== 200) return flash("error", errorOf(r).message, "Could not re-send");
  button.closest("li").remove();
  flash("success", `${r.body.resent.what} is queued again; the app reads GitLab again and posts the current result.`, "Re-sent");
  setTimeout(loadHealth, 1500);
}

/** Reads the health once; resolves to it (null when the check failed) so auto-refresh can decide what next. */
export async function loadHealth() {
  const r = await call("GET", "/health");
  if (r.status === 200) {
    renderLive(r.body.health);
    return r.body.health;
  }
  $("health-checked").textContent = `Could not check with GitLab: ${errorOf(r).message}`;
  return null;
}

/** "Re-check now": GitLab is read again and the newest pipeline's status is posted to Bitbucket again. */
export async function recheck(onLink) {
  flash("info", "");
  const r = await busy($("recheck"), "Re-checking…", () => call("POST", "/recheck"));
  if (r.status !== 200) return flash("error", errorOf(r).message, "The re-check failed");
  onLink(r.body.link);
  renderLive(r.body.health);
  const h = r.body.health;
  const p = h.pipeline;
  // A neutral note, whatever the pipeline's colour: the re-check worked, the pipeline's result is news of its own.
  flash(
    "info",
    h.alreadyShown
      ? `Pipeline #${p.id} is ${p.status} on GitLab. Bitbucket already shows this: nothing to post again.`
      : h.statusQueued
        ? `Pipeline #${p.id} is ${p.status} on GitLab; the app posts that to Bitbucket now.`
        : "GitLab has no pipeline on the default branch yet, so there was no status to post.",
    "Re-checked with GitLab",
  );
  return h;
}

// Keeps the health panel and Recent activity fresh while work is in flight (a push queued, a pipeline
// running): GET /health again after 2 s, then 4, 8… up to 30 s while nothing changes, back to 2 s when
// something does, and stop once nothing is in flight. Polling, not server-sent events: the Forge edition's
// invokeRemote carries one answer per call.
import { loadHealth } from "./health.js";

const FIRST_MS = 2_000;
const MAX_MS = 30_000;

let timer = 0;
let delayMs = FIRST_MS;
let seen = "";
let watching = () => false;
let afterRound = () => {};

/** Wires it once: `active()` says whether the linked view is on screen, `onRound(health)` runs after each look. */
export function autoRefresh({ active, onRound }) {
  watching = active;
  afterRound = onRound || afterRound;
}

/** Something may have started (a push noticed, a re-check, a re-send): look again soon, from the shortest delay. */
export function refreshSoon() {
  delayMs = FIRST_MS;
  schedule();
}

/** Continue after a look at the health the caller made itself: keep going only while work is in flight. */
export function followUp(health) {
  if (health && health.inFlight) refreshSoon();
}

export function stopRefreshing() {
  clearTimeout(timer);
  timer = 0;
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(round, delayMs);
}

async function round() {
  timer = 0;
  if (!watching()) return;
  if (document.hidden) return schedule(); // look again when the tab may be back; no GitLab calls unseen
  const health = await loadHealth();
  afterRound(health);
  if (!health || !health.inFlight) return; // settled: nothing more will change by itself
  const now = fingerprint(health);
  delayMs = now === seen ? Math.min(delayMs * 2, MAX_MS) : FIRST_MS;
  seen = now;
  schedule();
}

const fingerprint = (h) =>
  JSON.stringify([h.pipeline, h.bitbucket.map((s) => [s.key, s.state]), h.mirror.updateStatus, (h.failed || []).length]);

// "Recent activity": the link's last deliveries (what came in, what we did, the answer, how long) and
// its audit trail (who linked, changed or unlinked, and when).
import { call } from "./api.js";
import { $, ago, el, lozenge, resize } from "./dom.js";

const OUTCOME = { done: ["done", "success"], retry: ["will retry", "moved"], failed: ["given up", "removed"] };
const KIND = { "status-sync": "Status", "mirror-trigger": "Mirror" };

export async function loadHistory() {
  const [events, audit] = await Promise.all([call("GET", "/events"), call("GET", "/audit")]);
  const items = [];
  for (const e of events.status === 200 ? events.body.events.slice(0, 10) : []) {
    const [label, kind] = OUTCOME[e.outcome] || [e.outcome, "default"];
    items.push({
      at: e.at,
      node: el(
        "li",
        {},
        lozenge(label, kind),
        ` ${KIND[e.kind] || e.kind}: ${e.summary} `,
        el("span", { class: "hint" }, `${ago(e.at)}, ${e.durationMs} ms`),
      ),
    });
  }
  for (const a of audit.status === 200 ? audit.body.audit.slice(0, 10) : []) {
    items.push({
      at: a.at,
      node: el(
        "li",
        {},
        lozenge(a.action, "inprogress"),
        ` ${a.summary} `,
        el("span", { class: "hint" }, `${ago(a.at)}${a.actor ? ` by ${a.actor}` : ""}`),
      ),
    });
  }
  items.sort((x, y) => Date.parse(y.at) - Date.parse(x.at));
  $("history").hidden = items.length === 0;
  $("history-list").replaceChildren(...items.slice(0, 15).map((i) => i.node));
  resize();
}

// "Recent activity", as a person reads Bitbucket's own: who (by name, when Bitbucket gave one), what
// changed, links to the commit and the pipeline. Entries that changed nothing are folded into one line.
import { call } from "./api.js";
import { $, ago, el, lozenge, resize } from "./dom.js";

const OUTCOME = {
  done: null,
  retry: ["will retry", "moved"],
  deferred: ["waiting", "moved"],
  failed: ["given up", "removed"],
  settings: ["settings", "inprogress"],
};

export async function loadActivity() {
  const r = await call("GET", "/activity");
  if (r.status !== 200) return;
  const { entries, folded } = r.body;
  const items = entries.map((e) => {
    const [label, kind] = OUTCOME[e.outcome] || [];
    return el(
      "li",
      { class: "activity" },
      label && lozenge(label, kind),
      label && " ",
      e.who && el("strong", {}, e.who),
      e.who && " ",
      el("span", { class: "activity-text" }, whatChanged(e)),
      ...e.links.flatMap((l) => [" ", el("a", { href: l.href, target: "_blank", rel: "noopener noreferrer" }, l.text)]),
      " ",
      el("span", { class: "hint", title: new Date(e.at).toLocaleString() }, ago(e.at)),
    );
  });
  if (folded > 0)
    items.push(
      el(
        "li",
        { class: "hint activity-folded" },
        `${folded} more check${folded === 1 ? "" : "s"} that changed nothing (Bitbucket already showed the result).`,
      ),
    );
  $("history").hidden = items.length === 0;
  $("history-list").replaceChildren(...items);
  resize();
}

/** The entry's text without its actor, who is shown in bold before it. */
const whatChanged = (e) => (e.who && e.text.startsWith(`${e.who} `) ? e.text.slice(e.who.length + 1) : e.text);

// Code Insights: the link's switch, the reports last published on the default branch, and what GitLab
// needs (artifacts:paths) to hand over code-quality and SAST files.
import { call, errorOf } from "./api.js";
import { $, ago, el, flash, lozenge, resize } from "./dom.js";

const KIND = { tests: "Tests", coverage: "Coverage", quality: "Code quality", security: "Security" };
const RESULT = { PASSED: "success", FAILED: "removed", PENDING: "inprogress" };
const CI_LINES = `code_quality:
  artifacts:
    reports: { codequality: gl-code-quality-report.json }
    paths: [gl-code-quality-report.json]   # add this line
semgrep-sast:
  artifacts:
    reports: { sast: gl-sast-report.json }
    paths: [gl-sast-report.json]           # and this one`;

let panel = null;

/** Builds the panel once, inside the page's empty `#reports`. */
function build() {
  if (panel) return panel;
  const box = el("input", { type: "checkbox", id: "reports-enabled" });
  box.addEventListener("change", () => toggle(box));
  panel = {
    box,
    list: el("div", { id: "reports-published" }, el("span", { class: "hint" }, "Checking…")),
  };
  $("reports").replaceChildren(
    el("h3", { id: "reports-title" }, "Code Insights reports"),
    el(
      "p",
      {},
      el("label", { for: "reports-enabled" }, box, " Publish GitLab's test report, coverage and code findings on each commit"),
    ),
    el("dl", { class: "health" }, el("dt", { id: "reports-ref-label" }, "Last published"), el("dd", {}, panel.list)),
    el(
      "details",
      { id: "reports-ci-hint" },
      el("summary", {}, "Code quality and SAST findings need their files under artifacts:paths"),
      el(
        "p",
        { class: "hint" },
        "GitLab hands a job's report file to apps only when the job also lists it under artifacts:paths. In .gitlab-ci.yml:",
      ),
      el("pre", { class: "snippet" }, el("code", {}, CI_LINES)),
    ),
  );
  return panel;
}

/** The switch, from the link. */
export function showReports(link) {
  const p = build();
  $("reports").hidden = false;
  p.box.checked = link.reports !== false;
  resize();
}

/** The reports last published on the default branch, from the health answer. */
export function renderPublished(reports) {
  if (!reports) return;
  const p = build();
  p.box.checked = reports.enabled;
  $("reports-ref-label").textContent = reports.ref ? `Last published on ${reports.ref}` : "Last published";
  if (!reports.published.length) {
    p.list.replaceChildren(
      el(
        "span",
        { class: "hint" },
        reports.enabled
          ? "Nothing published on the default branch yet: reports come when a pipeline finishes."
          : "Reports are off.",
      ),
    );
  } else {
    p.list.replaceChildren(
      el("span", { class: "hint" }, `On ${reports.sha.slice(0, 8)}:`),
      el(
        "ul",
        { class: "reports" },
        reports.published.map((r) =>
          el(
            "li",
            { "data-kind": r.kind },
            lozenge(r.result, RESULT[r.result] || "default"),
            ` ${KIND[r.kind] || r.reportId}`,
            r.annotations ? `, ${r.annotations} annotation${r.annotations === 1 ? "" : "s"}` : "",
            el("span", { class: "hint" }, ` (pipeline #${r.pipelineId}, ${ago(r.publishedAt)})`),
          ),
        ),
      ),
    );
  }
  resize();
}

async function toggle(box) {
  flash("info", "");
  const wanted = box.checked;
  box.disabled = true;
  const r = await call("PUT", "/link/reports", { reports: wanted });
  box.disabled = false;
  if (r.status !== 200) {
    box.checked = !wanted;
    return flash("error", errorOf(r).message, "Could not change the reports setting");
  }
  box.checked = r.body.link.reports;
  flash(
    "success",
    wanted
      ? "Finished pipelines publish their test report, coverage and findings on their commit."
      : "No more reports are published; those already on Bitbucket stay.",
    wanted ? "Code Insights reports on" : "Code Insights reports off",
  );
}

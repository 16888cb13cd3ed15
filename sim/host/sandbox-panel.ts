import { escape } from "./bitbucket-frame";

/**
 * The sandbox's controls, shown in the fake Bitbucket's sidebar: what to paste into the settings page,
 * buttons that push to the simulated repository, and the build statuses Bitbucket has recorded.
 */
export function sandboxPanel(facts: { gitlabUrl: string; token: string; projects: string[] }): string {
  return `
<section class="sandbox">
  <h4>Sandbox</h4>
  <p>GitLab address<br><code>${escape(facts.gitlabUrl)}</code></p>
  <p>Token of @ada<br><code id="sandbox-token">${escape(facts.token)}</code></p>
  <p>Ada's projects:</p>
  <ul class="sandbox-projects">${facts.projects.map((p) => `<li><code>${escape(p)}</code></li>`).join("")}</ul>
  <button type="button" data-push="main">Push to main</button>
  <button type="button" data-push="feature/login">Push to feature/login</button>
  <label><input type="checkbox" id="sandbox-fail"> next pipelines fail</label>
  <p id="sandbox-said"></p>
  <h4>Statuses on Bitbucket</h4>
  <p id="sandbox-statuses-none">None yet.</p>
  <ol id="sandbox-statuses"></ol>
</section>
<style>
  .sandbox { margin-top: 24px; padding: 12px 8px; border-top: 1px solid #091e4224; font-size: 12px; line-height: 16px; }
  .sandbox h4 { margin: 8px 0; font-size: 12px; text-transform: uppercase; color: #626f86; }
  .sandbox code { font-size: 11px; overflow-wrap: anywhere; background: #091e420f; padding: 0 2px; }
  /* A token is one opaque word and may break anywhere; a project path breaks only after a "/" or "-". */
  #sandbox-token { word-break: break-all; }
  .sandbox-projects { list-style: none; padding: 0; margin: 0 0 8px; }
  .sandbox-projects code { overflow-wrap: normal; white-space: nowrap; }
  .sandbox button { display: block; margin: 6px 0; padding: 4px 8px; font: inherit; cursor: pointer; }
  .sandbox ol { padding-left: 16px; margin: 0; }
</style>
<script>
  document.querySelectorAll("[data-push]").forEach(function (b) {
    b.addEventListener("click", function () {
      var fail = document.getElementById("sandbox-fail").checked;
      fetch("/sandbox/push", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ branch: b.getAttribute("data-push"), fail: fail }) })
        .then(function (r) { return r.json(); })
        .then(function (j) { document.getElementById("sandbox-said").textContent = j.said; });
    });
  });
  setInterval(function () {
    fetch("/sandbox/statuses").then(function (r) { return r.json(); }).then(function (list) {
      if (!list.length) return;
      document.getElementById("sandbox-statuses-none").hidden = true;
      document.getElementById("sandbox-statuses").innerHTML = list.map(function (s) {
        return "<li><b>" + s.state + "</b> " + s.key.replace(/</g, "&lt;") + " @ " + s.sha.slice(0, 8) + "</li>";
      }).join("");
    });
  }, 1500);
</script>`;
}

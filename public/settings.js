// The repository settings page: talks to /api/repositories/{uuid}/link with the token the page was given.
// Plain DOM code, no framework; works with or without Bitbucket's all.js (which only resizes the iframe).
(function () {
  "use strict";
  var root = document.getElementById("settings");
  var token = document.querySelector('meta[name="token"]').getAttribute("content");
  var api = "/api/repositories/" + encodeURIComponent(root.getAttribute("data-repo-uuid")) + "/link";
  var $ = function (id) {
    return document.getElementById(id);
  };
  var MODES = { pipeline: "one per pipeline", jobs: "one per job", both: "one per pipeline and one per job" };

  function resize() {
    if (window.AP && typeof window.AP.resize === "function") window.AP.resize();
  }

  function request(method, body) {
    return fetch(api, {
      method: method,
      headers: Object.assign(
        { Authorization: "JWT " + token, Accept: "application/json" },
        body ? { "Content-Type": "application/json" } : {},
      ),
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
    }).then(
      function (res) {
        if (res.status === 204) return { status: 204, body: null };
        return res.json().then(
          function (json) {
            return { status: res.status, body: json };
          },
          function () {
            return {
              status: res.status,
              body: { error: { code: "bad_response", message: "Unexpected answer (" + res.status + ")" } },
            };
          },
        );
      },
      function () {
        return {
          status: 0,
          body: { error: { code: "network", message: "Could not reach the app. Check your connection and try again." } },
        };
      },
    );
  }

  function flash(kind, text) {
    var el = $("flash");
    el.className = "message message-" + kind;
    el.textContent = text;
    el.hidden = !text;
    resize();
  }

  function clearFieldErrors() {
    document.querySelectorAll(".field-error").forEach(function (p) {
      p.textContent = "";
    });
    document.querySelectorAll("[aria-invalid]").forEach(function (i) {
      i.removeAttribute("aria-invalid");
    });
  }

  function showFieldErrors(fields) {
    Object.keys(fields || {}).forEach(function (name) {
      var p = document.querySelector('.field-error[data-for="' + name + '"]');
      var input = $(name);
      if (p) p.textContent = fields[name];
      if (input) input.setAttribute("aria-invalid", "true");
    });
  }

  function showLink(link, webhook) {
    $("loading").hidden = true;
    $("link-form").hidden = true;
    $("linked").hidden = false;
    var a = $("project-link");
    a.textContent = link.projectPath;
    a.href = link.projectWebUrl;
    $("gitlab-url").textContent = link.gitlabUrl;
    $("status-mode").textContent = MODES[link.statusMode] || link.statusMode;
    $("token-hint").textContent = link.tokenHint;
    $("webhook-state").textContent = link.webhookRegistered
      ? "registered by the app"
      : "not registered: add it in GitLab (see below)";
    var m = link.mirror;
    $("mirror-state").textContent = !m
      ? "no update requested yet"
      : m.triggerError
        ? "last trigger failed: " + m.triggerError
        : (m.updateStatus || "unknown") +
          (m.lastError ? " — " + m.lastError : "") +
          (m.lastSuccessfulUpdateAt
            ? " (last successful update " + new Date(m.lastSuccessfulUpdateAt).toLocaleString() + ")"
            : "");
    var manual = webhook && !webhook.registered;
    $("manual-hook").hidden = !manual;
    if (manual) {
      $("manual-hook-reason").textContent = webhook.reason || "The app could not add the webhook itself.";
      $("manual-hook-url").textContent = webhook.url;
      $("manual-hook-secret").textContent = webhook.secret || "";
    }
    resize();
  }

  function showForm(link) {
    $("loading").hidden = true;
    $("linked").hidden = true;
    $("link-form").hidden = false;
    $("cancel").hidden = !link;
    if (link) {
      $("gitlabUrl").value = link.gitlabUrl;
      $("project").value = link.projectPath;
      document.querySelector('input[name=statusMode][value="' + link.statusMode + '"]').checked = true;
    }
    resize();
  }

  var current = null;

  function load() {
    request("GET").then(function (r) {
      if (r.status === 200) {
        current = r.body.link;
        showLink(current);
      } else if (r.status === 404) {
        current = null;
        showForm(null);
      } else {
        $("loading").hidden = true;
        flash("error", r.body.error.message);
      }
    });
  }

  $("link-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearFieldErrors();
    flash("info", "");
    var save = $("save");
    save.disabled = true;
    save.textContent = "Checking with GitLab…";
    var body = {
      gitlabUrl: $("gitlabUrl").value.trim(),
      project: $("project").value.trim(),
      token: $("token").value.trim(),
      statusMode: document.querySelector("input[name=statusMode]:checked").value,
    };
    request("PUT", body).then(function (r) {
      save.disabled = false;
      save.textContent = "Link project";
      if (r.status === 200) {
        $("token").value = "";
        current = r.body.link;
        showLink(current, r.body.webhook);
        flash(
          "success",
          "Linked to " + current.projectPath + ". Pushes now update the GitLab mirror, and pipelines report back here.",
        );
        return;
      }
      var err = r.body.error || {};
      showFieldErrors(err.fields);
      if (err.code === "gitlab_unauthorized") showFieldErrors({ token: err.message });
      if (err.code === "gitlab_project_not_found" || err.code === "gitlab_insufficient_role")
        showFieldErrors({ project: err.message });
      if (err.code === "gitlab_unreachable") showFieldErrors({ gitlabUrl: err.message });
      flash("error", err.message || "Linking failed");
    });
  });

  $("edit").addEventListener("click", function () {
    flash("info", "");
    showForm(current);
  });
  $("cancel").addEventListener("click", function () {
    if (current) showLink(current);
  });
  $("unlink").addEventListener("click", function () {
    if (
      !window.confirm(
        "Unlink " + (current ? current.projectPath : "the project") + "? Statuses already posted stay on Bitbucket.",
      )
    )
      return;
    request("DELETE").then(function (r) {
      if (r.status === 204) {
        current = null;
        showForm(null);
        flash("success", "Unlinked. The app's GitLab webhook was removed.");
      } else flash("error", (r.body.error && r.body.error.message) || "Unlinking failed");
    });
  });

  load();
})();

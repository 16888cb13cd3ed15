// Creating a project in a namespace on GitLab Free (issue 15, item 8): the namespace's plan is shown, and
// when it is Free a warning stands before the button, since GitLab would create the project without the
// pull mirror (Premium), with the offer to use push sync instead (the app pushes; any GitLab tier).
import { $, resize } from "./dom.js";

const PLAN = { free: "Free", premium: "Premium", ultimate: "Ultimate", bronze: "Bronze", silver: "Silver", gold: "Gold" };

/** Shows the plan of the namespace picked (null: none picked yet) and the Free warning when it applies. */
export function renderNamespacePlan(ns) {
  const plan = ns && ns.plan;
  $("namespace-plan").textContent = !ns
    ? ""
    : plan
      ? `Plan: GitLab ${PLAN[plan] || plan}.`
      : "Plan: not shown (GitLab shows a group's plan to its Maintainers and Owners only). Pull mirroring needs Premium.";
  const free = plan === "free";
  $("new-project-free").hidden = !free;
  if (free) $("new-project-free-name").textContent = ns.fullPath;
  resize();
}

/** "push" when the admin took the offer of push sync for a Free namespace; else undefined (a pull mirror). */
export function chosenSync() {
  return !$("new-project-free").hidden && $("use-push-sync").checked ? "push" : undefined;
}

/** Calls `onChange` when the admin takes or declines the offer. */
export function onSyncChoice(onChange) {
  $("use-push-sync").addEventListener("change", onChange);
}

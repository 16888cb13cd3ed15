// Small DOM helpers shared by the settings page's modules. No framework: one page, a few forms.

export const $ = (id) => document.getElementById(id);

/** Tells Bitbucket's all.js (when it loaded) to fit the iframe to the page; a no-op without it. */
export function resize() {
  if (window.AP && typeof window.AP.resize === "function") window.AP.resize();
}

/** Builds an element: el("a", { href, class: "x" }, "text", child…). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

const TITLES = { success: "Done", error: "That did not work", warning: "Heads up", info: "" };

/** The page-level section message: kind is success, error, warning or info; an empty text hides it. */
export function flash(kind, text, title) {
  const box = $("flash");
  box.className = `section-message section-message-${kind}`;
  $("flash-title").textContent = title ?? TITLES[kind] ?? "";
  $("flash-title").hidden = !$("flash-title").textContent;
  $("flash-text").textContent = text || "";
  box.hidden = !text;
  resize();
}

export function clearFieldErrors(scope = document) {
  scope.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
  scope.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
}

/** Puts each message under its field and marks the input invalid; `inputs` maps a field to another input id. */
export function showFieldErrors(fields, inputs = {}) {
  for (const [name, message] of Object.entries(fields || {})) {
    const p = document.querySelector(`.field-error[data-for="${name}"]`);
    const input = $(inputs[name] || name);
    if (p) p.textContent = message;
    if (input) input.setAttribute("aria-invalid", "true");
  }
  resize();
}

/** Disables a button while `work` runs, with a label saying what is happening. */
export async function busy(button, label, work) {
  const idle = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = idle;
  }
}

/** "3 minutes ago", or the date for anything older than a day. */
export function ago(iso) {
  if (!iso) return "";
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 90 * 60) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 24 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

export function lozenge(text, kind = "default") {
  return el("span", { class: `lozenge lozenge-${kind}` }, text);
}

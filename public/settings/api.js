// The settings page's JSON API, called with the token the page was served with (never a cookie).
const root = document.getElementById("settings");
const token = document.querySelector('meta[name="token"]').getAttribute("content");
// The workspace page names its API; the repository page's is under its repository.
const base = root.getAttribute("data-api-base") || `/api/repositories/${encodeURIComponent(root.getAttribute("data-repo-uuid"))}`;

/** Resolves to { status, body } for every outcome, network failures included (status 0). */
export async function call(method, path, body) {
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers: {
        Authorization: `JWT ${token}`,
        Accept: "application/json",
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
    });
  } catch {
    return failure(0, "network", "Could not reach the app. Check your connection and try again.");
  }
  if (res.status === 204) return { status: 204, body: null };
  try {
    return { status: res.status, body: await res.json() };
  } catch {
    return failure(res.status, "bad_response", `The app gave an unexpected answer (${res.status}). Try again.`);
  }
}

const failure = (status, code, message) => ({ status, body: { error: { code, message } } });

/** The error of a failed call, always with a message. */
export const errorOf = (r) => (r.body && r.body.error) || { code: "unknown", message: `Unexpected answer (${r.status})` };

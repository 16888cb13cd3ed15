// The settings page's JSON API. The Connect edition fetches it with the token the page was served with
// (never a cookie); the Forge edition installs window.__settingsTransport (invokeRemote) before this loads.
const root = document.getElementById("settings");
// The workspace page names its API; the repository page's is under its repository.
const base = root.getAttribute("data-api-base") || `/api/repositories/${encodeURIComponent(root.getAttribute("data-repo-uuid"))}`;

/** Sends one request: resolves to { status, json() } like fetch's Response, rejects when the app is unreachable. */
const send = window.__settingsTransport || fetchWithPageToken;

function fetchWithPageToken(method, url, body) {
  const token = document.querySelector('meta[name="token"]').getAttribute("content");
  return fetch(url, {
    method,
    headers: {
      Authorization: `JWT ${token}`,
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    credentials: "omit",
  });
}

/** Resolves to { status, body } for every outcome, network failures included (status 0). */
export async function call(method, path, body) {
  let res;
  try {
    res = await send(method, base + path, body);
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

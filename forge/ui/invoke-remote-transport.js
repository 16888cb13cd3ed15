// How the settings pages reach the backend inside Forge: Forge proxies invokeRemote to the remote with a
// Forge Invocation Token, so the page holds no token of its own. Shaped like the fetch transport in
// public/settings/api.js: resolves to { status, json() }, rejects when the backend cannot be reached.
import { invokeRemote } from "@forge/bridge";

export async function invokeRemoteTransport(method, path, body) {
  const res = await invokeRemote({ path, method, body, headers: { Accept: "application/json" } });
  // The bridge answers a failed proxy with whatever error it has; without a status there was no answer.
  if (!res || typeof res.status !== "number") throw new Error("The remote gave no answer");
  return {
    status: res.status,
    async json() {
      if (res.body === undefined || res.body === null) throw new Error("No body");
      return typeof res.body === "string" ? JSON.parse(res.body) : res.body;
    },
  };
}

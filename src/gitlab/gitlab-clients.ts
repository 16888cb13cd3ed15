import { createHash } from "node:crypto";
import type { Dispatcher } from "undici";
import { GitLabApi } from "./gitlab-api";

const MAX_CLIENTS = 1_000;

/**
 * Reuses one gitbeaker client per GitLab host and token: building one instantiates every API resource
 * gitbeaker has, which is too slow to do for each delivery. Each client also keeps its token's call budget.
 */
export function gitlabClients(timeoutMs: number, dispatcher: Dispatcher, budget?: { perMinute: number; burst: number }) {
  const clients = new Map<string, GitLabApi>();
  return (host: string, token: string): GitLabApi => {
    const key = createHash("sha256").update(host).update("\0").update(token).digest("base64");
    let client = clients.get(key);
    if (!client) {
      if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value!);
      client = new GitLabApi(host, token, timeoutMs, dispatcher, budget);
      clients.set(key, client);
    }
    return client;
  };
}

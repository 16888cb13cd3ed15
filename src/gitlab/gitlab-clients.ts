import { createHash } from "node:crypto";
import type { Dispatcher } from "undici";
import { GitLabApi } from "./gitlab-api";

const MAX_CLIENTS = 1_000;

/**
 * A GitLab client for a host and token, on behalf of a workspace (its installation's clientKey): every
 * call the client makes is first checked against that workspace's allowed GitLab hosts.
 */
export type GitLabFor = (host: string, token: string, clientKey: string) => GitLabApi;

/**
 * Reuses one gitbeaker client per GitLab host, token and workspace: building one instantiates every API
 * resource gitbeaker has, which is too slow to do for each delivery. Each client also keeps its token's call
 * budget. This is the one place a link's GitLab address becomes a client, so the workspace's host policy
 * (`checkHost`) is attached here and runs before every request.
 */
export function gitlabClients(
  timeoutMs: number,
  dispatcher: Dispatcher,
  budget: { perMinute: number; burst: number } | undefined,
  checkHost: (clientKey: string, host: string) => Promise<void>,
): GitLabFor {
  const clients = new Map<string, GitLabApi>();
  return (host, token, clientKey) => {
    const key = createHash("sha256").update(host).update("\0").update(token).update("\0").update(clientKey).digest("base64");
    let client = clients.get(key);
    if (!client) {
      if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value!);
      client = new GitLabApi(host, token, timeoutMs, dispatcher, budget, () => checkHost(clientKey, host));
      clients.set(key, client);
    }
    return client;
  };
}

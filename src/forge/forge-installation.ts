import { BitbucketClient } from "../bitbucket/bitbucket-client";
import type { ForgeInstallationRow, ForgeInstallations } from "../db/forge-installations";
import { WorkDeferred } from "../errors";
import type { FindInstallation, Installation } from "../installations/installation";

export interface ForgeInstallationOptions {
  timeoutMs: number;
  /** How long work waits before looking again for a fresh token. */
  tokenWaitMs: number;
  onBitbucketStatus?: (status: number) => void;
}

// A token this close to its end is not used: the call could outlive it.
const MARGIN_MS = 30_000;

/**
 * A Forge installation as an Installation: REST calls go to the FIT's `apiBaseUrl` with the app system
 * token as a bearer token. Forge offers no way to renew that token; only its own calls bring one (events,
 * UI calls, the hourly tick). So a token missing, ending, or refused by Bitbucket (401) is no failure: the
 * work waits, without using an attempt, and goes out once a call from Forge brought a fresh token.
 */
export function forgeInstallation(
  row: ForgeInstallationRow,
  store: ForgeInstallations,
  opts: ForgeInstallationOptions,
): Installation {
  const waitForToken = () =>
    new WorkDeferred("Waiting for Forge to bring a fresh app system token (hourly tick or next event)", opts.tokenWaitMs);
  const currentToken = async () => {
    const held = await store.token(row.clientKey);
    if (!held || held.expiresAt - MARGIN_MS <= Date.now()) throw waitForToken();
    return held;
  };
  const client = new BitbucketClient({
    baseApiUrl: row.apiBaseUrl,
    timeoutMs: opts.timeoutMs,
    onStatus: opts.onBitbucketStatus,
    auth: {
      authorization: async () => `Bearer ${(await currentToken()).token}`,
      refused: async (authorization) => {
        const held = await store.token(row.clientKey);
        if (held && `Bearer ${held.token}` === authorization) await store.tokenRefused(row.clientKey, held.expiresAt);
        return waitForToken();
      },
    },
  });
  return {
    key: row.clientKey,
    edition: "forge",
    workspaceUuid: row.workspaceUuid,
    // git's host: bitbucket.org beside api.bitbucket.org (a simulator serves both from one origin).
    webBaseUrl: row.apiBaseUrl.replace("://api.", "://"),
    bitbucket: client,
    // Code Insights documents OAuth bearer auth: the system token is one.
    insights: client,
    // Workspace-wide and possibly able to write: it never leaves the app (MirrorCredentials refuses it).
    repositoryToken: async () => ({ ...(await currentToken()), shareable: false }),
  };
}

/**
 * Finds Forge installations by their `forge:<installationId>` key. One judged uninstalled (src/forge/forge-reaper.ts)
 * is not found: its queued work ends instead of waiting for a token that will never come.
 */
export const forgeInstallations =
  (store: ForgeInstallations, opts: ForgeInstallationOptions): FindInstallation =>
  async (key) => {
    const row = await store.find(key);
    return row && row.goneAt === null ? forgeInstallation(row, store, opts) : null;
  };

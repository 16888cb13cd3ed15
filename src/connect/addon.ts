import ace from "atlassian-connect-express";
import type express from "express";
import type { Deps } from "../deps";
import { aceLogger } from "../logger";
import { aceStore } from "./ace-store";

export type Addon = ace.AddOn;

let stores = 0;

/**
 * Builds ACE on the app. ACE serves the descriptor and verifies Bitbucket's JWTs (signature, expiry,
 * qsh); tenants come from our table through a store adapter, and lifecycle routes are ours. ACE mounts
 * its routes on the next tick: `ready` resolves after that, and routes mounted before it win over ACE's.
 */
export function createAddon(
  app: express.Express,
  deps: Pick<Deps, "config" | "log" | "tenants">,
): { addon: Addon; ready: Promise<void> } {
  // ACE's store registry is global; a name per app keeps several apps in one process apart (tests).
  const adapter = `app-tenants-${++stores}`;
  ace.store.register(adapter, () => aceStore(deps.tenants) as unknown as ace.StoreAdapter);
  // ACE picks its config.json section by express's env; tests run on the development section.
  const mode = deps.config.env === "production" ? "production" : "development";
  app.set("env", mode);
  const overrides = {
    localBaseUrl: deps.config.baseUrl,
    appKey: deps.config.appKey,
    store: { adapter },
    whitelist: deps.config.hostWhitelist.join(","),
  };
  let configured!: () => void;
  const ready = new Promise<void>((resolve) => (configured = resolve));
  // ACE adds a process-wide unhandledRejection listener per instance (it prints with console); the server
  // installs one of its own that logs through the redacting logger, so ACE's is taken off again.
  const before = new Set(process.listeners("unhandledRejection"));
  const addon = ace(
    app,
    { config: { [mode]: overrides } } as unknown as ace.Options,
    aceLogger(deps.log) as unknown as Console,
    () => configured(),
  );
  for (const l of process.listeners("unhandledRejection")) if (!before.has(l)) process.off("unhandledRejection", l);
  // Connect → Forge: the descriptor tells admins of Connect installs to "Get the Forge app". ACE reads its
  // descriptor object at each request for atlassian-connect.json, so adding the fields here is enough.
  const descriptor = (addon as unknown as { descriptor: Record<string, unknown> }).descriptor;
  if (deps.config.forgeAppLink) descriptor.forgeAppLink = deps.config.forgeAppLink;
  if (deps.config.forge) descriptor.forgeAppId = deps.config.forge.appIdAsConfigured;
  return { addon, ready };
}

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import express from "express";
import type { BrowserContext } from "playwright-core";

/** Serves forge/static/ (the built Custom UI) as Forge serves a resource: each page from its own folder. */
export async function serveForgeStatic(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use(express.static(path.resolve(__dirname, "../../../forge/static")));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export type RemoteRequest = { path: string; method: string; body?: unknown; headers?: Record<string, string> };
export type RemoteAnswer = { status: number; body?: unknown; headers: Record<string, string[]> };

/**
 * Plays Forge's side of @forge/bridge in every page of `context`: the bundle's own bridge code talks to
 * `window.__bridge.callBridge`, which Forge's host page provides. Here getContext answers `forgeContext`,
 * and invokeRemote goes to `remote` in this process (as Forge proxies it server-side); other bridge
 * calls are recorded and answered with nothing.
 */
export async function stubForgeBridge(
  context: BrowserContext,
  forgeContext: unknown,
  remote: (req: RemoteRequest) => Promise<RemoteAnswer>,
): Promise<{ otherCalls: string[] }> {
  const otherCalls: string[] = [];
  await context.exposeFunction("__forgeRemote", remote);
  await context.exposeFunction("__forgeOtherCall", (name: string) => void otherCalls.push(name));
  await context.addInitScript((ctx) => {
    const w = window as unknown as Record<string, any>;
    w.__bridge = {
      async callBridge(name: string, payload: unknown) {
        if (name === "getContext") return structuredClone(ctx);
        if (name === "invoke") return { success: true, payload: await w.__forgeRemote(payload) };
        w.__forgeOtherCall(name);
        return undefined;
      },
    };
  }, forgeContext);
  return { otherCalls };
}

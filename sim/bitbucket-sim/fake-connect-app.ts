import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";

/**
 * A stand-in Connect app for testing the simulator itself: serves a descriptor shaped like the real app's and
 * records what Bitbucket sends, answering 204 (or `installedStatus` on /installed). It verifies nothing.
 */
export interface FakeConnectApp {
  url: string;
  received: { path: string; headers: IncomingHttpHeaders; body: any }[];
  installedStatus: number;
  close(): Promise<void>;
}

export async function startFakeConnectApp(key: string): Promise<FakeConnectApp> {
  const app = express();
  app.use(express.json());
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeConnectApp = {
    url,
    received: [],
    installedStatus: 204,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  app.get("/atlassian-connect.json", (_req, res) => {
    res.json({
      key,
      baseUrl: url,
      authentication: { type: "jwt" },
      lifecycle: { installed: "/installed", uninstalled: "/uninstalled" },
      contexts: ["account"],
      scopes: ["account", "repository"],
      modules: {
        webhooks: [{ event: "repo:push", url: "/webhooks/bitbucket" }],
        adminPages: [
          {
            key: "repository-settings",
            location: "org.bitbucket.repository.admin",
            name: { value: "GitLab CI" },
            url: "/settings/repository?repoUuid={repository.uuid}&repoPath={repository.full_name}",
          },
        ],
      },
    });
  });
  app.post(["/installed", "/uninstalled", "/webhooks/bitbucket"], (req, res) => {
    fake.received.push({ path: req.path, headers: req.headers, body: req.body });
    res.sendStatus(req.path === "/installed" ? fake.installedStatus : 204);
  });
  return fake;
}

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { guardedDispatcher } from "../../src/gitlab/guarded-dispatcher";

describe("connections to GitLab in production", () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/redirect") return res.writeHead(302, { Location: `http://localhost:${port}/inside` }).end();
      res.end("inside");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it("refuse a loopback address given as an IP", async () => {
    const dispatcher = guardedDispatcher([], 2_000);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { dispatcher } as RequestInit), (e: any) =>
      /private network/.test(e.cause?.message ?? ""),
    );
  });

  it("refuse a name that resolves to a loopback address (checked at connection time, after DNS)", async () => {
    const dispatcher = guardedDispatcher([], 2_000);
    await assert.rejects(fetch(`http://localhost:${port}/`, { dispatcher } as RequestInit), (e: any) =>
      /private network/.test(e.cause?.message ?? ""),
    );
  });

  it("refuse a redirect from an allowed host into the private network", async () => {
    const dispatcher = guardedDispatcher(["127.0.0.1"], 2_000);
    const direct = await fetch(`http://127.0.0.1:${port}/`, { dispatcher } as RequestInit);
    assert.equal(await direct.text(), "inside", "the allowed host itself is reachable");
    await assert.rejects(fetch(`http://127.0.0.1:${port}/redirect`, { dispatcher } as RequestInit), (e: any) =>
      /private network/.test(e.cause?.message ?? ""),
    );
  });
});

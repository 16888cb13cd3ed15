import http from "node:http";
import type { AddressInfo } from "node:net";

export interface HostileServer {
  url: string;
  /** Every request received: method, URL and headers. */
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A misbehaving peer on loopback, port 0: `handler` answers however the test needs. */
export async function hostileServer(handler: http.RequestListener): Promise<HostileServer> {
  const requests: HostileServer["requests"] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Streams `totalBytes` of a JSON string (`{"username":"aaa…"}`) without a Content-Length, minding
 * backpressure, and tells whether the whole of it was ever taken: a reader that stops early leaves it
 * unfinished.
 */
export function endlessJson(totalBytes: number) {
  const state = { written: 0, finished: false, closed: false };
  const handler: http.RequestListener = (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.on("close", () => (state.closed = true));
    const chunk = Buffer.alloc(64 * 1024, "a");
    res.write('{"id":1,"username":"');
    const pump = () => {
      while (state.written < totalBytes && !res.destroyed) {
        state.written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      if (res.destroyed) return;
      res.end('","name":"x"}');
      state.finished = true;
    };
    pump();
  };
  return { handler, state };
}

/**
 * For a suite of tests against hostile servers: returns `serve`, which starts one, and closes every server
 * it started after each test (call it inside `describe`).
 */
export function hostileServers(): (handler: http.RequestListener) => Promise<HostileServer> {
  let servers: HostileServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  return async (handler) => {
    const server = await hostileServer(handler);
    servers.push(server);
    return server;
  };
}

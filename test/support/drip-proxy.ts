import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A hostile "GitLab": a loopback proxy to a real simulator that, once `dripping` is on, answers every
 * request with its headers at once and then one byte of body at a time, slowly, never finishing. A
 * client without a timeout on the whole answer (body included) would wait for ever.
 */
export class DripProxy {
  dripping = false;
  /** Requests answered by dripping so far. */
  dripped = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server) {}

  static async start(target: string): Promise<DripProxy> {
    const server = createServer();
    const proxy = new DripProxy(server);
    server.on("request", (req, res) => {
      if (proxy.dripping) {
        proxy.dripped++;
        res.writeHead(200, { "Content-Type": "application/json" });
        const timer = setInterval(() => res.write(" "), 100);
        proxy.timers.add(timer);
        res.on("close", () => (clearInterval(timer), proxy.timers.delete(timer)));
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)),
        ) as Record<string, string>;
        fetch(`${target}${req.url}`, {
          method: req.method,
          headers,
          body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        }).then(
          async (answer) => {
            const body = Buffer.from(await answer.arrayBuffer());
            res.writeHead(answer.status, { "Content-Type": answer.headers.get("content-type") ?? "application/json" });
            res.end(body);
          },
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

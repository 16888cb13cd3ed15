import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Express } from "express";

type Html = string | (() => string);

/**
 * A local web server playing Bitbucket's own pages: it serves host pages that frame the app. (A page
 * made up by the browser's request interception counts as a public site to chromium, whose Local
 * Network Access checks then refuse to frame the app on 127.0.0.1; a real local server does not.)
 */
export class HostServer {
  private constructor(
    private readonly server: Server,
    private readonly pages: Map<string, Html>,
    readonly url: string,
  ) {}

  /** `routes` adds routes of its own (the sandbox's push buttons) before the pages. */
  static async start(opts: { port?: number; routes?: (app: Express) => void } = {}): Promise<HostServer> {
    const app = express();
    const pages = new Map<string, Html>();
    opts.routes?.(app);
    app.get("/:path(*)", (req, res) => {
      const html = pages.get(`/${req.params.path}`);
      if (!html) return res.status(404).type("text/plain").send("no such page");
      res.type("html").send(typeof html === "function" ? html() : html);
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(opts.port ?? 0, "127.0.0.1", () => resolve(s));
    });
    return new HostServer(server, pages, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** Serves `html` (or what the function makes at each request) at `path` and returns its URL. */
  serve(html: Html, path = `/${randomUUID()}`): string {
    this.pages.set(path, html);
    return `${this.url}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

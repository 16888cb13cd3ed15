import { spawn } from "node:child_process";
import type { Request, Response } from "express";

export interface BackendCall {
  /** Directory that holds the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** Path of the repository under `root`, e.g. `/acme/widgets.git`, and the service path after it. */
  pathInfo: string;
  remoteUser: string;
  /** Extra environment for the backend and the hooks it runs (e.g. where a hook writes what it saw). */
  env?: Record<string, string>;
  /**
   * Runs after the backend exited and before the answer ends (e.g. GitLab's work after a push), told how
   * many bytes the request's body carried (as received, before any gzip is undone).
   */
  beforeEnd?: (served: { requestBytes: number }) => Promise<void>;
}

/**
 * Serves one smart-HTTP request through the real `git http-backend` (a CGI): the request body is piped
 * in (gzip left for the backend to undo), and its CGI headers (a `Status:` line among them) become the
 * HTTP answer. Resolves when the backend has exited and the answer has ended.
 */
export function gitHttpBackend(req: Request, res: Response, call: BackendCall): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: call.root,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: call.pathInfo,
    QUERY_STRING: new URL(req.originalUrl, "http://sim").search.replace(/^\?/, ""),
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.get("content-type") ?? "",
    REMOTE_USER: call.remoteUser,
    REMOTE_ADDR: "127.0.0.1",
    GIT_CONFIG_NOSYSTEM: "1",
    ...(req.get("content-encoding") ? { HTTP_CONTENT_ENCODING: req.get("content-encoding") } : {}),
    ...(req.get("git-protocol") ? { GIT_PROTOCOL: req.get("git-protocol") } : {}),
    ...call.env,
  };
  return new Promise((resolve) => {
    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let requestBytes = 0;
    let head = Buffer.alloc(0);
    let headersDone = false;
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (!end) return;
      headersDone = true;
      writeHeaders(res, head.subarray(0, end.at).toString("latin1"));
      const rest = head.subarray(end.at + end.length);
      if (rest.length) res.write(rest);
    });
    child.on("close", async (code) => {
      if (!headersDone && !res.headersSent) {
        res
          .status(500)
          .type("text/plain")
          .send(stderr || "git http-backend failed");
      } else {
        await call.beforeEnd?.({ requestBytes }).catch((e) => console.error("git sim: after the backend", e));
        res.end();
      }
      resolve(code ?? 1);
    });
    req.pipe(child.stdin);
    // Added in the same tick as the pipe's own listener, so both see every chunk.
    req.on("data", (chunk: Buffer) => (requestBytes += chunk.length));
    child.stdin.on("error", () => undefined);
  });
}

function headerEnd(buf: Buffer): { at: number; length: number } | null {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  return lf >= 0 ? { at: lf, length: 2 } : null;
}

function writeHeaders(res: Response, text: string): void {
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") res.status(Number(value.split(" ")[0]) || 200);
    else res.setHeader(name, value);
  }
}

/** The parts of a smart-HTTP URL: the repository path (without `.git`) and the service path after it. */
export function parseGitPath(path: string): { repo: string; service: string } | null {
  const m = /^\/(.+?)\.git(\/info\/refs|\/git-upload-pack|\/git-receive-pack)$/.exec(path);
  return m ? { repo: decodeURIComponent(m[1]!), service: m[2]! } : null;
}

/** Which git service a request asks for: upload-pack (fetch) or receive-pack (push). */
export function serviceOf(req: Request, servicePath: string): "upload-pack" | "receive-pack" | null {
  const name = servicePath === "/info/refs" ? String(req.query.service ?? "") : servicePath.slice(1);
  return name === "git-upload-pack" ? "upload-pack" : name === "git-receive-pack" ? "receive-pack" : null;
}

/** The user and password of a Basic Authorization header, or null. */
export function basicAuth(req: Request): { user: string; password: string } | null {
  const m = /^Basic\s+(.+)$/i.exec(req.get("authorization") ?? "");
  if (!m) return null;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? null : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

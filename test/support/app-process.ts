import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { keepForFailure } from "./failure-logs";

const ROOT = path.resolve(__dirname, "..", "..");

/** A free TCP port on loopback (there is a small window before it is taken again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The app as a real process (`src/server.ts` through tsx), for tests that must kill it or run several.
 * Output is kept, and printed if the test fails (failure-logs.ts).
 */
export class AppProcess {
  readonly output: string[] = [];
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(env: Record<string, string>, port: number): Promise<AppProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src", "server.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "test",
        LOG_LEVEL: "warn",
        // The last-resort limits (per-link intake, per-token GitLab budget) are not what these tests are
        // about: they send thousands of hooks to one link in seconds.
        INTAKE_LINK_PER_SECOND: "100000",
        INTAKE_LINK_BURST: "100000",
        INTAKE_INSTALLATION_PER_SECOND: "100000",
        INTAKE_INSTALLATION_BURST: "100000",
        GITLAB_CALLS_PER_MINUTE: "10000000",
        GITLAB_BURST: "100000",
        ...env,
        PORT: String(port),
        AC_LOCAL_BASE_URL: `http://127.0.0.1:${port}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const app = new AppProcess(child, `http://127.0.0.1:${port}`);
    child.once("exit", keepForFailure(`app process ${child.pid} (port ${port})`, app.output));
    child.stdout!.on("data", (d) => app.output.push(String(d)));
    child.stderr!.on("data", (d) => app.output.push(String(d)));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}: ${app.output.join("")}`);
      try {
        if ((await fetch(`${app.url}/healthz`)).ok) return app;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGKILL");
    throw new Error(`app did not come up: ${app.output.join("")}`);
  }

  /** Kills the process without warning, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { SetupInfo } from "../sims/protocol";
import { ROOT } from "./app-process";
import { stopChild, track } from "./children";
import { freePort, waitForHttp } from "./free-port";

export const DIST_BASELINE = path.join(ROOT, "dist", "bench", "baseline", "baseline-server.js");

export interface BaselineProcess {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** Starts the bare handler (bench/baseline/baseline-server.ts, compiled like the app) for one tenant and its links. */
export async function startBaseline(info: SetupInfo): Promise<BaselineProcess> {
  if (!existsSync(DIST_BASELINE))
    throw new Error(`${DIST_BASELINE} is missing: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = track(
    spawn(process.execPath, [DIST_BASELINE], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        PORT: String(port),
        BASELINE_CLIENT_KEY: info.clientKey,
        BASELINE_SHARED_SECRET: info.sharedSecret,
        BASELINE_WEBHOOK_SECRETS: JSON.stringify(Object.fromEntries(info.links.map((l) => [l.linkId, l.webhookSecret]))),
        BASELINE_BASE_URL: url,
      },
    }),
  );
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  await waitForHttp(`${url}/healthz`, 15_000, () => !exited);
  return {
    pid: child.pid!,
    url,
    stop: async () => {
      await stopChild(child, 5_000);
      await exit;
    },
  };
}

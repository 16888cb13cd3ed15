import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { stopChild, track } from "./children";
import { freePort, waitForHttp } from "./free-port";

export const ROOT = path.resolve(__dirname, "..", "..");
export const DIST_SERVER = path.join(ROOT, "dist", "src", "server.js");

/**
 * The node flags the image starts the app with (its Dockerfile's `ENV NODE_OPTIONS`), so the bench runs
 * the app as deployed: the heap's cap is part of what its memory figures measure.
 */
const IMAGE_NODE_OPTIONS = (/^ENV NODE_OPTIONS="([^"]*)"/m.exec(safeRead(path.join(ROOT, "Dockerfile")))?.[1] ?? "")
  .split(" ")
  .filter(Boolean);

/**
 * The node flags the app runs with: the image's, then BENCH_APP_NODE_ARGS (e.g. --max-old-space-size=128),
 * for the app alone (NODE_OPTIONS would reach every process); given after the image's, a flag there wins.
 */
export const APP_NODE_FLAGS = [...IMAGE_NODE_OPTIONS, ...(process.env.BENCH_APP_NODE_ARGS ?? "").split(" ").filter(Boolean)];

export interface GcCounts {
  /** Scavenges: each one a young generation full, so with its size fixed they count bytes allocated. */
  minor: number;
  /** Seconds the collector held the main thread, every kind. */
  seconds: number;
}

export interface AppProcess {
  pid: number;
  url: string;
  logFile: string;
  /** Lines the app logged (warn and above unless BENCH_APP_LOG_LEVEL), counted by level and message. */
  logCounts(): Record<string, number>;
  /** The app's V8 heap in use, from its /metrics (NaN when it has none). */
  heapUsedMb(): Promise<number>;
  /** Statements the app's per-event path has run so far, from its /metrics (NaN when it has none). */
  statements(): Promise<number>;
  /** Outbox claims run so far (found work or not). */
  claims(): Promise<number>;
  /** The app's garbage collections so far, from its /metrics: young-generation ones, and seconds in all. */
  gc(): Promise<GcCounts>;
  /** SIGTERM and wait for exit (the app drains its worker for up to 10 s). */
  stop(): Promise<void>;
}

/**
 * Starts the compiled app (`node dist/src/server.js`, as deployed) in its own process. NODE_ENV=production
 * would refuse the loopback simulators, so it runs as development with warn-level logs into a file.
 */
export async function startApp(opts: {
  databaseUrl: string;
  dir: string;
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** Instances of one deployment share these (another instance must read what the first sealed); fresh by default. */
  shared?: { encryptionKey: string; metricsToken: string };
  /** The log file's name in `dir` (app.log): instances of one deployment each write their own. */
  logName?: string;
}): Promise<AppProcess> {
  if (!existsSync(DIST_SERVER)) throw new Error(`${DIST_SERVER} is missing: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(opts.dir, opts.logName ?? "app.log");
  const metricsToken = opts.shared?.metricsToken ?? process.env.METRICS_TOKEN ?? randomBytes(24).toString("base64url");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "development",
    LOG_LEVEL: process.env.BENCH_APP_LOG_LEVEL ?? "warn",
    // JSON lines, as in production: the log is counted by level and message (development's default is the
    // pretty format, whose every line, time first, was a key of its own: 15,608 keys in one soak).
    LOG_FORMAT: "json",
    PORT: String(port),
    AC_LOCAL_BASE_URL: url,
    DATABASE_URL: opts.databaseUrl,
    DATA_DIR: opts.dir,
    ENCRYPTION_KEY: opts.shared?.encryptionKey ?? randomBytes(32).toString("base64"),
    // One tenant at 200 statuses a second is 720,000 calls an hour, far past Bitbucket's ~1,000: the
    // budget would hold nearly everything back. The bench measures the app's own capacity, so it opens the
    // budget (its bookkeeping queries still run) unless told otherwise.
    BITBUCKET_CALLS_PER_HOUR: process.env.BITBUCKET_CALLS_PER_HOUR ?? "1000000000",
    BITBUCKET_BURST: process.env.BITBUCKET_BURST ?? "1000000",
    METRICS_TOKEN: metricsToken,
    ...opts.env,
  };
  const args = [...APP_NODE_FLAGS, ...(opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : []), DIST_SERVER];
  const child: ChildProcess = track(spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] }));
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  try {
    await waitForHttp(`${url}/healthz`, 30_000, () => !exited);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`the app did not start: ${(e as Error).message}\n${tail(logFile)}`);
  }
  return {
    pid: child.pid!,
    url,
    logFile,
    logCounts: () => countLevels(logFile),
    heapUsedMb: async () => (await metric(url, metricsToken, "nodejs_heap_size_used_bytes")) / 2 ** 20,
    statements: () => metric(url, metricsToken, "db_statements_total"),
    claims: async () =>
      (await metric(url, metricsToken, 'outbox_claims_total\\{found="yes"\\}')) +
      (await metric(url, metricsToken, 'outbox_claims_total\\{found="no"\\}')),
    gc: async () => {
      // One scrape for every figure: the sums of each kind of collection, and the scavenges' count.
      const text = await metricsText(url, metricsToken);
      const sums = [...text.matchAll(/^\w*nodejs_gc_duration_seconds_sum\{kind="\w+"\} (\S+)$/gm)].map((m) => Number(m[1]));
      return {
        minor: figure(text, 'nodejs_gc_duration_seconds_count\\{kind="minor"\\}'),
        seconds: sums.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0),
      };
    },
    stop: async () => {
      // The app lets deliveries in flight finish for up to 10 s on SIGTERM.
      await stopChild(child, 20_000);
      await exit;
      log.end();
    },
  };
}

/** One unlabelled figure of the app's /metrics, by its name without the gl4bb_ prefix. */
async function metric(url: string, token: string, name: string): Promise<number> {
  return figure(await metricsText(url, token), name);
}

/** The app's /metrics text ("" when it cannot be read: every figure is then NaN). */
async function metricsText(url: string, token: string): Promise<string> {
  try {
    const res = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2_000),
    });
    return await res.text();
  } catch {
    return "";
  }
}

/** A figure of a /metrics text, by its name (a pattern) without the gl4bb_ prefix. */
function figure(text: string, name: string): number {
  return Number(new RegExp(`^\\w*${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
}

const LEVELS: Record<number, string> = { 30: "info", 40: "warn", 50: "error", 60: "fatal" };

function countLevels(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of safeRead(file).split("\n")) {
    if (!line.trim()) continue;
    const level = /"level":(\d+)/.exec(line)?.[1];
    const msg = /"msg":"([^"]{0,80})/.exec(line)?.[1] ?? line.slice(0, 80);
    const reason = /"reason":"([^"]{0,60})/.exec(line)?.[1];
    const key = `${level ? (LEVELS[Number(level)] ?? level) : "other"}: ${msg}${reason ? ` (${reason})` : ""}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function tail(file: string, lines = 20): string {
  return safeRead(file).split("\n").slice(-lines).join("\n");
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

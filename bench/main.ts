/**
 * `npm run bench`: the performance targets in the README's benchmark table, on each store. See bench/README.md.
 *
 * Processes: this driver (autocannon, orchestration); the simulators (sims/sims-process.ts); the app
 * (`node dist/src/server.js`, as deployed); and, during intake, the bare baseline handler.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { parseOptions, type BenchOptions, type Phase } from "./options";
import { log, loadRun, stepUp, type Env } from "./phases/end-to-end";
import { measureIntake } from "./phases/intake";
import { noisyNeighbour } from "./phases/noisy";
import { outboxAtDepth } from "./phases/outbox-depth";
import { pushSyncPhase, verdictLines } from "./phases/push-sync";
import { reportsPhase } from "./phases/reports";
import { soak } from "./phases/soak";
import { table, type StoreResult } from "./report";
import { spreadLines, spreadOf } from "./support/spread";
import { SimsClient } from "./sims/sims-client";
import { APP_NODE_FLAGS, ROOT, startApp, type AppProcess } from "./support/app-process";
import { startBaseline } from "./support/baseline-process";
import { DepthProbe } from "./support/depth-probe";
import { summarizeProfile } from "./support/profile-summary";
import { committedResults, compareWithCommitted } from "./support/regression-guard";
import { memoryOf } from "./support/proc";
import { round } from "./support/stats";
import { freshStore, type StoreKind } from "./support/stores";

const RESULTS = path.join(ROOT, "bench", "results.json");
const PROFILES = path.join(ROOT, "bench", "profiles");

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const results: Record<string, StoreResult> = {};
  const spreads: string[] = [];
  for (const kind of opts.stores) {
    const runs: StoreResult[] = [];
    for (let run = 1; run <= opts.runs; run++) {
      log(`\n== ${kind}${opts.runs > 1 ? `, run ${run} of ${opts.runs}` : ""} ==`);
      runs.push(await benchStore(kind, opts));
    }
    results[kind] = { ...runs[runs.length - 1]!, ...(runs.length > 1 && { spread: spreadOf(runs) }) };
    if (runs.length > 1) spreads.push(...spreadLines(kind, results[kind].spread!));
  }
  process.stdout.write(`\n${table(results)}\n`);
  if (spreads.length) process.stdout.write(`\nspread over ${opts.runs} runs (min / median / max):\n${spreads.join("\n")}\n`);
  const guard = compareWithCommitted(results, committedResults(ROOT));
  process.stdout.write(`\n${guard.lines.join("\n")}\n`);
  const previous = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, "utf8")) as { stores?: Record<string, StoreResult> })
    : {};
  const out = {
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    options: { ...opts, phases: [...opts.phases] },
    // A run on one store keeps the other store's last results (each carries its own ranAt).
    stores: { ...previous.stores, ...results },
  };
  writeFileSync(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  log(`\nwrote ${path.relative(process.cwd(), RESULTS)}`);
  if (guard.regressed && opts.failOnRegression) process.exitCode = 3;
}

async function benchStore(kind: StoreKind, opts: BenchOptions): Promise<StoreResult> {
  const result: StoreResult = { ranAt: new Date().toISOString() };
  const has = (p: Phase) => opts.phases.has(p);

  if (has("intake") || has("e2e") || has("steps") || has("soak")) {
    const store = await freshStore(kind, "app");
    const profDir = opts.cpuProf ? path.join(PROFILES, kind) : undefined;
    if (profDir) mkdirSync(profDir, { recursive: true });
    // Capacity is measured with the last-resort limits (per-link intake, per-token GitLab budget, the
    // per-installation share of the worker) opened, as the Bitbucket budget is: one workspace at 200
    // events/s is far past what they let one tenant do. The noisy-neighbour phase runs with them on. Set
    // them in the shell to measure with them.
    const opened = (name: string, value: string) => ({ [name]: process.env[name] ?? value });
    const env0 = {
      ...opened("INTAKE_LINK_PER_SECOND", "1000000"),
      ...opened("INTAKE_LINK_BURST", "1000000"),
      ...opened("INTAKE_INSTALLATION_PER_SECOND", "1000000"),
      ...opened("INTAKE_INSTALLATION_BURST", "1000000"),
      ...opened("GITLAB_CALLS_PER_MINUTE", "100000000"),
      ...opened("GITLAB_BURST", "1000000"),
      // The fairness cap on one installation's deliveries in flight (4) is opened to the worker's
      // concurrency: every event here is one installation's, and with 4 in flight PostgreSQL delivered
      // 33–42/s bound by round trips, 65–102/s with 16 (stop 12, three runs each). Set it in the shell
      // to measure with the cap.
      ...opened("OUTBOX_PER_INSTALLATION", "16"),
    };
    // Several instances share one PostgreSQL database, their encryption key and metrics token, as a
    // deployment's would; each is its own process (CPU read per process and summed for "app"; memory is
    // the first one's).
    const instances = kind === "postgres" ? opts.appInstances : 1;
    const appNodeFlags = APP_NODE_FLAGS.join(" ");
    if (instances !== opts.appInstances) log(`(${kind}: one app process; BENCH_APP_INSTANCES applies to PostgreSQL)`);
    const shared = { encryptionKey: randomBytes(32).toString("base64"), metricsToken: randomBytes(24).toString("base64url") };
    const apps: AppProcess[] = [];
    for (let i = 0; i < instances; i++) {
      // The first instance migrates the database; the others start on it once it is up.
      const logName = i === 0 ? "app.log" : `app-${i + 1}.log`;
      apps.push(
        await startApp({
          databaseUrl: store.url,
          dir: store.dir,
          cpuProfDir: profDir,
          env: env0,
          shared,
          logName,
        }),
      );
    }
    const app = apps[0]!;
    const sims = await SimsClient.start(ROOT);
    const probe = await DepthProbe.open(store.url);
    try {
      const info = await sims.setup(
        app.url,
        opts.links,
        apps.map((a) => a.url),
      );
      log(
        `app ${apps.map((a) => `pid ${a.pid} at ${a.url}`).join(", ")}, simulators pid ${sims.pid}; installed, ${opts.links} repositories linked; app node flags: ${appNodeFlags || "none"}`,
      );
      const appPids = Object.fromEntries(apps.map((a, i) => [i === 0 ? "app" : `app${i + 1}`, a.pid]));
      const pids = { ...appPids, sims: sims.pid };
      const statements = async () => (await Promise.all(apps.map((a) => a.statements()))).reduce((x, y) => x + y, 0);
      const claims = async () => (await Promise.all(apps.map((a) => a.claims()))).reduce((x, y) => x + y, 0);
      const gc = async () =>
        (await Promise.all(apps.map((a) => a.gc()))).reduce((x, y) => ({
          minor: x.minor + y.minor,
          seconds: x.seconds + y.seconds,
        }));
      const env: Env = { sims, probe, pids, appPid: app.pid, heapUsedMb: app.heapUsedMb, statements, claims, gc };
      if (instances > 1) result.appInstances = instances;
      if (appNodeFlags) result.appNodeFlags = appNodeFlags;
      result.idleRssMb = round(memoryOf(app.pid).rssMb);

      if (has("intake")) {
        const baseline = await startBaseline(info);
        try {
          const t = { appUrl: app.url, baselineUrl: baseline.url, pids: { ...pids, baseline: baseline.pid }, sims, probe };
          const io = { connections: opts.connections, seconds: opts.intakeSeconds, warmupSeconds: opts.warmupSeconds };
          log(
            `intake: repo:push, ${opts.connections} connections, ${opts.warmupSeconds}+${opts.intakeSeconds} s each for app and bare`,
          );
          const bitbucket = await measureIntake("bitbucket", info, t, io);
          log(`intake: Pipeline Hook`);
          const gitlab = await measureIntake("gitlab", info, t, io);
          result.intake = { bitbucket, gitlab, connections: opts.connections, seconds: opts.intakeSeconds };
        } finally {
          await baseline.stop();
        }
      }
      if (has("steps")) {
        log(`steps: ${opts.steps.join(", ")} events/s, ${opts.stepSeconds} s each, until one is not held`);
        const { steps, highestHeld } = await stepUp(env, opts.steps, opts.stepSeconds);
        result.steps = { runs: steps, highestHeld };
      }
      if (has("soak")) {
        // A soak is about memory under a load the app carries; past what it holds it only measures a
        // growing queue, so it runs at the highest rate held when that is lower.
        const held = result.steps?.highestHeld;
        const rate = held != null && held < opts.soakRate ? held : opts.soakRate;
        log(
          `soak: ${rate} events/s for ${opts.soakSeconds} s${rate < opts.soakRate ? ` (the highest rate held, not ${opts.soakRate})` : ""}`,
        );
        result.soak = { ...(await soak(env, rate, opts.soakSeconds)), seconds: opts.soakSeconds, rate };
      }
      // Last: past what the app holds, this run leaves its memory grown, which would colour the soak.
      if (has("e2e")) {
        if (opts.e2eWarmupSeconds > 0) {
          // A fresh app meets every link for the first time in its first seconds (its caches, connections,
          // the JIT): measured and reported apart, so the run after it says what a running app sustains.
          log(`end to end, warm-up: ${opts.e2eRate} events/s for ${opts.e2eWarmupSeconds} s`);
          const { samples: _warmSamples, ...warmUp } = await loadRun(env, opts.e2eRate, opts.e2eWarmupSeconds);
          result.e2eWarmup = warmUp;
        }
        log(`end to end: ${opts.e2eRate} events/s for ${opts.e2eSeconds} s`);
        const { samples: _samples, ...run } = await loadRun(env, opts.e2eRate, opts.e2eSeconds);
        result.e2e = run;
      }
    } finally {
      await probe.close();
      await sims.stop();
      await Promise.all(apps.map((a) => a.stop()));
      result.appLog = app.logCounts();
      await store.drop();
    }
    if (profDir) result.profile = profileOf(profDir);
  }

  if (has("depth")) {
    log(`outbox at depth: ${opts.depthRows} rows`);
    const store = await freshStore(kind, "outbox");
    try {
      result.outboxDepth = await outboxAtDepth(store, opts.depthRows, 16, opts.depthPerInstallation);
    } finally {
      await store.drop();
    }
  }

  if (has("noisy")) {
    log(
      `noisy neighbour: one installation at ${opts.noisyRate} hooks/s, another at ${opts.quietRate}/s, for ${opts.noisySeconds} s`,
    );
    const store = await freshStore(kind, "noisy");
    try {
      const opt = { seconds: opts.noisySeconds, noisyRate: opts.noisyRate, quietRate: opts.quietRate, drainMs: 10_000 };
      result.noisy = await noisyNeighbour(store, opt);
    } finally {
      await store.drop();
    }
  }
  if (has("reports")) {
    log(`reports: one pipeline, a test report of ${opts.reportCases} cases with ${opts.reportFailures} failures`);
    const store = await freshStore(kind, "reports");
    try {
      result.reports = await reportsPhase(store, { cases: opts.reportCases, failures: opts.reportFailures });
      const r = result.reports;
      log(
        `reports: ${Math.round(r.reportBytes / 1024)} KB report; hook → status ${r.hookToStatusMs} ms, → all reports ${r.hookToReportsMs} ms; ` +
          `${r.reportCalls} Code Insights calls, ${r.refused} refused; app RSS ${r.rssBeforeMb} MB → peak ${r.peakRssMb} MB (+${r.peakGrowthMb})`,
      );
    } finally {
      await store.drop();
    }
  }
  if (has("pushsync")) {
    log(
      `push sync: a small and a ${opts.pushSyncLargeMb} MB repository, ${opts.pushSyncPushes} single-commit pushes of ${opts.pushSyncBlobKb} KB each`,
    );
    const store = await freshStore(kind, "pushsync");
    try {
      const blobBytes = opts.pushSyncBlobKb * 1024;
      result.pushSync = await pushSyncPhase(store, {
        pushes: opts.pushSyncPushes,
        blobBytes,
        largeMb: opts.pushSyncLargeMb,
        log,
      });
      const { debounceMs, loadAverage } = result.pushSync;
      log(`push sync: PUSH_SYNC_DEBOUNCE_MS ${debounceMs}; load average ${loadAverage.start} → ${loadAverage.end}`);
      log(verdictLines(result.pushSync.verdicts).join("\n"));
    } finally {
      await store.drop();
    }
  }
  return result;
}

function profileOf(dir: string): string[] {
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(dir, f))
    .sort()
    .pop();
  if (!newest) return ["no profile written"];
  const lines = [`profile: ${path.relative(ROOT, newest)}`, ...summarizeProfile(newest)];
  log(lines.join("\n"));
  return lines;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

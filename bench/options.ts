import type { StoreKind } from "./support/stores";

export const PHASES = ["intake", "e2e", "steps", "depth", "soak", "noisy", "reports", "pushsync"] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  quick: boolean;
  stores: StoreKind[];
  phases: Set<Phase>;
  /** Write a V8 CPU profile of the app process per store (bench/profiles/) and print its hot spots. */
  cpuProf: boolean;
  /** Exit with status 3 when a figure is worse than the committed one by more than a quarter. */
  failOnRegression: boolean;
  /** How many times each store's phases run; the report shows the last run and the spread of all. */
  runs: number;
  /** Repositories linked, each to its own GitLab project and token; end-to-end events go to them in turn. */
  links: number;
  connections: number;
  intakeSeconds: number;
  warmupSeconds: number;
  e2eRate: number;
  e2eSeconds: number;
  /**
   * The end-to-end run's first seconds at its rate, measured apart (`e2eWarmup`): a fresh app meets each
   * link for the first time there, and the window after it is what a running app sustains.
   */
  e2eWarmupSeconds: number;
  steps: number[];
  stepSeconds: number;
  depthRows: number;
  soakRate: number;
  soakSeconds: number;
  /** Noisy neighbour: one installation flooded at `noisyRate` while another sends `quietRate`, for `noisySeconds`. */
  noisySeconds: number;
  noisyRate: number;
  quietRate: number;
  /** The reports phase: one pipeline's test report of `reportCases` cases, `reportFailures` of them failed. */
  reportCases: number;
  reportFailures: number;
  /** Push sync: single-commit pushes per repository, the size of each push's new file, the large repository's size. */
  pushSyncPushes: number;
  pushSyncBlobKb: number;
  pushSyncLargeMb: number;
  /** OUTBOX_PER_INSTALLATION for the outbox-at-depth phase (the queue alone, one installation). */
  depthPerInstallation: number;
  /**
   * App processes on one PostgreSQL database for the capacity phases (intake, e2e, steps, soak); the hooks
   * of the end-to-end runs go to them in turn. SQLite runs one (its file is one process's).
   */
  appInstances: number;
}

const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number, got ${raw}`);
  return value;
};

const USAGE = `npm run bench -- [--quick] [--store sqlite|postgres|both] [--phases ${PHASES.join(",")}] [--cpu-prof] [--fail-on-regression] [--runs N]`;

/** Reads the command line and BENCH_* variables (see bench/README.md). */
export function parseOptions(argv: string[]): BenchOptions {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    return argv[i]!.includes("=") ? argv[i]!.split("=")[1] : argv[i + 1];
  };
  if (flag("help")) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const store = value("store") ?? "both";
  if (!["sqlite", "postgres", "both"].includes(store)) throw new Error(`--store must be sqlite, postgres or both\n${USAGE}`);
  const phases = (value("phases") ?? PHASES.join(",")).split(",");
  for (const p of phases) if (!PHASES.includes(p as Phase)) throw new Error(`unknown phase ${p}\n${USAGE}`);
  const quick = flag("quick");
  return {
    quick,
    stores: store === "both" ? ["sqlite", "postgres"] : [store as StoreKind],
    phases: new Set(phases as Phase[]),
    cpuProf: flag("cpu-prof"),
    failOnRegression: flag("fail-on-regression"),
    runs: Math.max(1, Math.floor(Number(value("runs") ?? 1)) || 1),
    links: Math.max(8, num("BENCH_LINKS", 50)),
    connections: num("BENCH_CONNECTIONS", 10),
    intakeSeconds: num("BENCH_INTAKE_SECONDS", 10),
    warmupSeconds: num("BENCH_WARMUP_SECONDS", 3),
    e2eRate: num("BENCH_E2E_RATE", 200),
    e2eSeconds: num("BENCH_E2E_SECONDS", 20),
    e2eWarmupSeconds: num("BENCH_E2E_WARMUP_SECONDS", 3),
    steps: (process.env.BENCH_STEPS ?? "25,50,100,200,400,800").split(",").map(Number),
    stepSeconds: num("BENCH_STEP_SECONDS", 10),
    depthRows: num("BENCH_DEPTH_ROWS", 100_000),
    soakRate: num("BENCH_SOAK_RATE", 200),
    soakSeconds: process.env.BENCH_SOAK_SECONDS ? num("BENCH_SOAK_SECONDS", 600) : quick ? 60 : 600,
    noisySeconds: num("BENCH_NOISY_SECONDS", 30),
    noisyRate: num("BENCH_NOISY_RATE", 500),
    quietRate: num("BENCH_QUIET_RATE", 5),
    reportCases: num("BENCH_REPORT_CASES", 10_000),
    reportFailures: num("BENCH_REPORT_FAILURES", 1_500),
    depthPerInstallation: num("BENCH_DEPTH_PER_INSTALLATION", 4),
    appInstances: Math.max(1, Math.floor(num("BENCH_APP_INSTANCES", 1))),
    pushSyncPushes: Math.max(1, num("BENCH_PUSHSYNC_PUSHES", quick ? 5 : 20)),
    pushSyncBlobKb: Math.max(1, num("BENCH_PUSHSYNC_BLOB_KB", 64)),
    pushSyncLargeMb: Math.max(1, num("BENCH_PUSHSYNC_LARGE_MB", 100)),
  };
}

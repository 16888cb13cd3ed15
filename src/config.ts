import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/** Everything the app reads from its environment, read once and typed. */
export interface Config {
  env: "development" | "test" | "production";
  port: number;
  /** Public base URL Bitbucket reaches us at (AC_LOCAL_BASE_URL). */
  baseUrl: string;
  appKey: string;
  databaseUrl: string;
  /** Current encryption key first, then older keys still accepted for decryption. */
  encryptionKeys: Buffer[];
  /** Host globs allowed as an installing tenant's baseUrl (ACE's whitelist); empty means any. */
  hostWhitelist: string[];
  /** Extra GitLab hosts allowed even when they resolve to private addresses (production only). */
  gitlabAllowedHosts: string[];
  /** Loopback and private GitLab/Bitbucket hosts are allowed outside production (the simulators live there). */
  allowPrivateHosts: boolean;
  logLevel: string;
  outbox: { concurrency: number; pollMs: number; leaseMs: number; maxAttempts: number };
  /** Bitbucket calls per hour and installation (Bitbucket answers 429 past about 1,000), and the burst allowed. */
  bitbucketBudget: { perHour: number; burst: number; pauseAfter429Ms: number };
  /** Pushes within this window fold into one mirror trigger. */
  mirrorDebounceMs: number;
  /** A status left INPROGRESS longer than `afterMs` is checked against GitLab; the check runs every `everyMs`. */
  reconcile: { afterMs: number; everyMs: number };
  httpTimeoutMs: number;
  /** Bearer token that may read /metrics; unset, /metrics is off. */
  metricsToken: string | null;
  /** Which Bitbucket origins may frame the settings page. */
  frameAncestors: string[];
  /** Push sync's bare caches (one per linked repository), their disk budget and git's time limit per command. */
  gitCache: { dir: string; maxBytes: number; timeoutMs: number };
}

const list = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  AC_LOCAL_BASE_URL: z.string().url().optional(),
  AC_APP_KEY: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,64}$/)
    .default("gitlab-ci-for-bitbucket"),
  AC_HOST_WHITELIST: z.string().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, "must start with sqlite: or postgres://")
    .optional(),
  DATA_DIR: z.string().default("data"),
  ENCRYPTION_KEY: z.string().optional(),
  ENCRYPTION_KEYS_PREVIOUS: list,
  GITLAB_ALLOWED_HOSTS: list,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(1000),
  OUTBOX_LEASE_MS: z.coerce.number().int().min(1000).default(60_000),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(12),
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  BITBUCKET_CALLS_PER_HOUR: z.coerce.number().min(1).default(900),
  BITBUCKET_BURST: z.coerce.number().int().min(1).default(60),
  // Bitbucket's limit is per rolling hour and a 429 need not say when to come back.
  BITBUCKET_429_PAUSE_MS: z.coerce.number().int().min(0).default(60_000),
  MIRROR_DEBOUNCE_MS: z.coerce.number().int().min(0).default(2_000),
  RECONCILE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(30 * 60_000),
  RECONCILE_EVERY_MS: z.coerce.number().int().min(100).default(60_000),
  FRAME_ANCESTORS: z.string().optional(),
  METRICS_TOKEN: z.string().min(16, "use at least 16 characters").optional(),
  GIT_CACHE_DIR: z.string().optional(),
  GIT_CACHE_MAX_MB: z.coerce.number().min(1).default(2048),
  GIT_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
});

export class ConfigError extends Error {}

/** Reads and validates the environment; throws ConfigError with every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  const whitelist = e.AC_HOST_WHITELIST ?? (production ? "bitbucket.org" : "");
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    baseUrl: (e.AC_LOCAL_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    appKey: e.AC_APP_KEY,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(e.DATA_DIR, "app.sqlite")}`,
    encryptionKeys: [currentKey(e.ENCRYPTION_KEY, production, e.DATA_DIR), ...e.ENCRYPTION_KEYS_PREVIOUS.map(decodeKey)],
    hostWhitelist: whitelist
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean),
    gitlabAllowedHosts: e.GITLAB_ALLOWED_HOSTS.map((h) => h.toLowerCase()),
    allowPrivateHosts: !production,
    logLevel: e.LOG_LEVEL,
    outbox: {
      concurrency: e.OUTBOX_CONCURRENCY,
      pollMs: e.OUTBOX_POLL_MS,
      leaseMs: e.OUTBOX_LEASE_MS,
      maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
    },
    httpTimeoutMs: e.HTTP_TIMEOUT_MS,
    metricsToken: e.METRICS_TOKEN ?? null,
    bitbucketBudget: { perHour: e.BITBUCKET_CALLS_PER_HOUR, burst: e.BITBUCKET_BURST, pauseAfter429Ms: e.BITBUCKET_429_PAUSE_MS },
    mirrorDebounceMs: e.MIRROR_DEBOUNCE_MS,
    reconcile: { afterMs: e.RECONCILE_AFTER_MS, everyMs: e.RECONCILE_EVERY_MS },
    frameAncestors: (
      e.FRAME_ANCESTORS ??
      (production ? "https://bitbucket.org" : "'self' http://localhost:* http://127.0.0.1:* https://bitbucket.org")
    )
      .split(/[\s,]+/)
      .filter(Boolean),
    gitCache: {
      dir: e.GIT_CACHE_DIR ?? path.join(e.DATA_DIR, "git-cache"),
      maxBytes: e.GIT_CACHE_MAX_MB * 1024 * 1024,
      timeoutMs: e.GIT_TIMEOUT_MS,
    },
  };
}

function decodeKey(b64: string): Buffer {
  const key = Buffer.from(b64, "base64");
  if (key.length !== 32) throw new ConfigError("ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)");
  return key;
}

// Production must be given its key; elsewhere one is made once and kept beside the SQLite file, so
// `npm start` works with no setup and restarts can still read what they encrypted.
function currentKey(b64: string | undefined, production: boolean, dataDir: string): Buffer {
  if (b64) return decodeKey(b64);
  if (production) throw new ConfigError("ENCRYPTION_KEY is required in production (openssl rand -base64 32)");
  const file = path.join(dataDir, "encryption.key");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  }
  return decodeKey(readFileSync(file, "utf8").trim());
}

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { exposure } from "./exposure";

/** Everything the app reads from its environment, read once and typed. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface Config {
  /** "production" whenever NODE_ENV says so or the app is reachable from outside (see `exposedBecause`). */
  env: "development" | "test" | "production";
  /** Why production rules apply although NODE_ENV did not ask for them; null otherwise. */
  exposedBecause: string | null;
  port: number;
  /** Interface to listen on: loopback outside production unless HOST says otherwise; undefined = all. */
  host: string | undefined;
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
  /** "pretty": readable lines (development's default); "json": pino's JSON lines (production's). */
  logFormat: "json" | "pretty";
  /** `perInstallation`: rows of one installation running at once, so one tenant cannot take every slot. */
  outbox: { concurrency: number; pollMs: number; leaseMs: number; maxAttempts: number; perInstallation: number };
  /** Last-resort webhook intake limits: per GitLab link, and per Bitbucket installation (src/http/intake-limit.ts). */
  intakeLimit: { perLink: RateLimit; perInstallation: RateLimit };
  /** Calls per minute and burst our own budget allows each GitLab host and token before work waits. */
  gitlabBudget: { perMinute: number; burst: number };
  /** Bitbucket calls per hour and installation (Bitbucket answers 429 past about 1,000), and the burst allowed. */
  bitbucketBudget: { perHour: number; burst: number; pauseAfter429Ms: number };
  /** Pushes within this window fold into one mirror trigger. */
  mirrorDebounceMs: number;
  /**
   * How long a push-sync push waits for others to fold into its sync. 0: a push to a quiet link syncs at
   * once; pushes arriving while its sync runs fold into one follow-up sync (one sync per link at a time).
   */
  pushSyncDebounceMs: number;
  /** A status left INPROGRESS longer than `afterMs` is checked against GitLab; the check runs every `everyMs`. */
  reconcile: { afterMs: number; everyMs: number };
  /** The per-link catch-up sweep: every `everyMs`, pipelines changed since the last one seen and settled for `settleMs`. */
  catchUp: { everyMs: number; settleMs: number };
  /** How Code Insights calls authenticate for Connect installations: an access token (documented) or the JWT. */
  codeInsightsAuth: "bearer" | "jwt";
  /** Calls of each installation's Bitbucket budget that Code Insights reports leave to statuses. */
  statusReserve: number;
  /** How long reports may wait for that budget before they are dropped (a failed delivery on the page). */
  reportsMaxWaitMs: number;
  /** How often old delivery ids and given-up outbox rows are pruned (src/sync/retention.ts says how old). */
  retentionEveryMs: number;
  httpTimeoutMs: number;
  /**
   * Our own HTTP server's limits, so slow or idle clients cannot hold connections: whole headers within
   * `headersTimeoutMs`, the whole request within `requestTimeoutMs`, an idle keep-alive connection kept
   * `keepAliveTimeoutMs`, and at most `maxConnections` open at once.
   */
  server: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; maxConnections: number };
  /** Bearer token that may read /metrics; unset, /metrics is off. */
  metricsToken: string | null;
  /** Which Bitbucket origins may frame the settings page. */
  frameAncestors: string[];
  /** The Forge edition: null (every /forge route 404) unless FORGE_APP_ID is set. */
  forge: ForgeConfig | null;
  /** FORGE_APP_LINK: the "Get the Forge app" link the Connect descriptor shows admins. */
  forgeAppLink: string | null;
  /** Push sync's bare caches (one per linked repository), their disk budget and git's time limit per command. */
  /**
   * `headStartMs`: how long other instances leave a link's git work to the instance whose cache synced it
   * last (while that instance is alive).
   */
  gitCache: { dir: string; maxBytes: number; timeoutMs: number; headStartMs: number };
}

export interface ForgeConfig {
  /** The app's ARI, `ari:cloud:ecosystem::app/<uuid>`: what a FIT's `aud` must be. */
  appId: string;
  /** FORGE_APP_ID exactly as given: what the Connect descriptor's `forgeAppId` carries. */
  appIdAsConfigured: string;
  jwksUrl: string;
  /** The `app.environment.type` a FIT must carry (PRODUCTION by default). */
  environment: string;
  /** How long work waits before looking again for a fresh system token. */
  tokenWaitMs: number;
  /** No call from the installation for this long, and no token Bitbucket accepts: it is gone (FORGE_GONE_AFTER_MS). */
  goneAfterMs: number;
  /** A gone installation's data is erased this long after it was found gone (FORGE_ERASE_AFTER_MS). */
  eraseAfterMs: number;
  /** How often the uninstall check runs (FORGE_REAP_EVERY_MS). */
  reapEveryMs: number;
}

const FORGE_APP_ARI = "ari:cloud:ecosystem::app/";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  HOST: z.string().min(1).max(255).optional(),
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
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(1000),
  OUTBOX_LEASE_MS: z.coerce.number().int().min(1000).default(60_000),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(12),
  // Also the rows per link a claim looks at: a larger value costs every claim more (measured: 12 delivered
  // 17 events/s end to end on SQLite, 4 delivered 40/s; issue 16 has the work to do on the claim).
  OUTBOX_PER_INSTALLATION: z.coerce.number().int().min(1).max(256).default(4),
  // Generous: only a flood far beyond any real project's pipelines meets them, since GitLab disables a
  // hook that keeps failing and a refused hook is an event lost until the catch-up sweep.
  INTAKE_LINK_PER_SECOND: z.coerce.number().positive().default(50),
  INTAKE_LINK_BURST: z.coerce.number().int().min(1).default(500),
  INTAKE_INSTALLATION_PER_SECOND: z.coerce.number().positive().default(100),
  INTAKE_INSTALLATION_BURST: z.coerce.number().int().min(1).default(1000),
  // GitLab.com allows 2,000 calls a minute per user.
  GITLAB_CALLS_PER_MINUTE: z.coerce.number().positive().default(2000),
  GITLAB_BURST: z.coerce.number().int().min(1).default(200),
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  // GitLab gives up on a hook after 10 s and Bitbucket's bodies are small: a sender that has not sent its
  // headers in 10 s, or its whole request in 30 s, is not one of them.
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(50).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(50).default(30_000),
  // Longer than common load balancers' idle timeout (60 s), so the balancer, not us, closes idle connections.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(50).default(65_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1_000),
  BITBUCKET_CALLS_PER_HOUR: z.coerce.number().min(1).default(900),
  BITBUCKET_BURST: z.coerce.number().int().min(1).default(60),
  // Bitbucket's limit is per rolling hour and a 429 need not say when to come back.
  BITBUCKET_429_PAUSE_MS: z.coerce.number().int().min(0).default(60_000),
  MIRROR_DEBOUNCE_MS: z.coerce.number().int().min(0).default(2_000),
  PUSH_SYNC_DEBOUNCE_MS: z.coerce.number().int().min(0).default(0),
  RECONCILE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(30 * 60_000),
  RECONCILE_EVERY_MS: z.coerce.number().int().min(100).default(60_000),
  CATCH_UP_EVERY_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(5 * 60_000),
  CATCH_UP_SETTLE_MS: z.coerce.number().int().min(0).default(60_000),
  CODE_INSIGHTS_AUTH: z.enum(["bearer", "jwt"]).default("bearer"),
  BITBUCKET_STATUS_RESERVE: z.coerce.number().int().min(0).default(20),
  REPORTS_MAX_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(60 * 60_000),
  RETENTION_EVERY_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(60 * 60_000),
  FRAME_ANCESTORS: z.string().optional(),
  METRICS_TOKEN: z.string().min(16, "use at least 16 characters").optional(),
  GIT_CACHE_DIR: z.string().optional(),
  GIT_CACHE_MAX_MB: z.coerce.number().min(1).default(2048),
  GIT_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
  GIT_CACHE_HEAD_START_MS: z.coerce.number().int().min(0).default(2_000),
  FORGE_APP_ID: z
    .string()
    .refine((s) => UUID.test(s.replace(FORGE_APP_ARI, "")), "must be the app's UUID or ari:cloud:ecosystem::app/<uuid>")
    .optional(),
  FORGE_JWKS_URL: z.string().url().default("https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json"),
  FORGE_ENVIRONMENT: z.string().min(1).max(32).default("PRODUCTION"),
  FORGE_APP_LINK: z.string().url().optional(),
  FORGE_TOKEN_WAIT_MS: z.coerce.number().int().min(10).default(60_000),
  FORGE_GONE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(3 * 24 * 60 * 60_000),
  FORGE_ERASE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 24 * 60 * 60_000),
  FORGE_REAP_EVERY_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(60 * 60_000),
});

// Production has no sensible default for these: a guessed base URL (http://localhost) would be written into
// the descriptor Bitbucket installs, and a generated key would be lost with the container's disk.
const productionSchema = schema.superRefine((e, ctx) => {
  // Production rules hold whenever the app is reachable from outside, not only when NODE_ENV says so.
  if (e.NODE_ENV !== "production" && exposure(e.HOST, e.AC_LOCAL_BASE_URL) === null) return;
  const required = (variable: string, message: string) => ctx.addIssue({ code: "custom", path: [variable], message });
  if (!e.AC_LOCAL_BASE_URL)
    required("AC_LOCAL_BASE_URL", "is required in production: the public HTTPS URL Bitbucket reaches the app at");
  else if (!e.AC_LOCAL_BASE_URL.startsWith("https://"))
    required("AC_LOCAL_BASE_URL", "must be https:// in production (Bitbucket only calls HTTPS)");
  if (!e.ENCRYPTION_KEY) required("ENCRYPTION_KEY", "is required in production (openssl rand -base64 32)");
});

export class ConfigError extends Error {}

/** Reads and validates the environment; throws ConfigError with every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = productionSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  // Zero configuration starts in development mode, which is lenient (any install host, plain-http and
  // loopback GitLab): safe only while nothing outside this machine can reach it. So it listens on loopback,
  // and anything that makes it reachable turns production rules on, whatever NODE_ENV says.
  const exposedBecause = e.NODE_ENV === "production" ? null : exposure(e.HOST, e.AC_LOCAL_BASE_URL);
  const production = e.NODE_ENV === "production" || exposedBecause !== null;
  const whitelist = e.AC_HOST_WHITELIST ?? (production ? "bitbucket.org" : "");
  return {
    env: production ? "production" : e.NODE_ENV,
    exposedBecause,
    port: e.PORT,
    host: e.HOST ?? (production ? undefined : "127.0.0.1"),
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
    // Readable lines for a person at a terminal in development; JSON lines for log collectors elsewhere.
    logFormat: e.LOG_FORMAT ?? (production || e.NODE_ENV === "test" ? "json" : "pretty"),
    outbox: {
      concurrency: e.OUTBOX_CONCURRENCY,
      pollMs: e.OUTBOX_POLL_MS,
      leaseMs: e.OUTBOX_LEASE_MS,
      maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
      perInstallation: e.OUTBOX_PER_INSTALLATION,
    },
    intakeLimit: {
      perLink: { perSecond: e.INTAKE_LINK_PER_SECOND, burst: e.INTAKE_LINK_BURST },
      perInstallation: { perSecond: e.INTAKE_INSTALLATION_PER_SECOND, burst: e.INTAKE_INSTALLATION_BURST },
    },
    gitlabBudget: { perMinute: e.GITLAB_CALLS_PER_MINUTE, burst: e.GITLAB_BURST },
    httpTimeoutMs: e.HTTP_TIMEOUT_MS,
    server: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: Math.max(e.HTTP_REQUEST_TIMEOUT_MS, e.HTTP_HEADERS_TIMEOUT_MS),
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    metricsToken: e.METRICS_TOKEN ?? null,
    bitbucketBudget: { perHour: e.BITBUCKET_CALLS_PER_HOUR, burst: e.BITBUCKET_BURST, pauseAfter429Ms: e.BITBUCKET_429_PAUSE_MS },
    mirrorDebounceMs: e.MIRROR_DEBOUNCE_MS,
    pushSyncDebounceMs: e.PUSH_SYNC_DEBOUNCE_MS,
    reconcile: { afterMs: e.RECONCILE_AFTER_MS, everyMs: e.RECONCILE_EVERY_MS },
    catchUp: { everyMs: e.CATCH_UP_EVERY_MS, settleMs: e.CATCH_UP_SETTLE_MS },
    codeInsightsAuth: e.CODE_INSIGHTS_AUTH,
    statusReserve: e.BITBUCKET_STATUS_RESERVE,
    reportsMaxWaitMs: e.REPORTS_MAX_WAIT_MS,
    retentionEveryMs: e.RETENTION_EVERY_MS,
    frameAncestors: (
      e.FRAME_ANCESTORS ??
      (production ? "https://bitbucket.org" : "'self' http://localhost:* http://127.0.0.1:* https://bitbucket.org")
    )
      .split(/[\s,]+/)
      .filter(Boolean),
    forge: e.FORGE_APP_ID
      ? {
          appId: e.FORGE_APP_ID.startsWith(FORGE_APP_ARI) ? e.FORGE_APP_ID : FORGE_APP_ARI + e.FORGE_APP_ID,
          appIdAsConfigured: e.FORGE_APP_ID,
          jwksUrl: e.FORGE_JWKS_URL,
          environment: e.FORGE_ENVIRONMENT,
          tokenWaitMs: e.FORGE_TOKEN_WAIT_MS,
          goneAfterMs: e.FORGE_GONE_AFTER_MS,
          eraseAfterMs: e.FORGE_ERASE_AFTER_MS,
          reapEveryMs: e.FORGE_REAP_EVERY_MS,
        }
      : null,
    forgeAppLink: e.FORGE_APP_LINK ?? null,
    gitCache: {
      dir: e.GIT_CACHE_DIR ?? path.join(e.DATA_DIR, "git-cache"),
      maxBytes: e.GIT_CACHE_MAX_MB * 1024 * 1024,
      timeoutMs: e.GIT_TIMEOUT_MS,
      headStartMs: e.GIT_CACHE_HEAD_START_MS,
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

import pino, { type Logger } from "pino";
import { prettyDestination } from "./pretty-log";

export type { Logger };

// Secrets can ride in on headers, payloads and our own records; pino removes them by path before
// anything is written, so a careless log call cannot leak them.
const REDACT = [
  "token",
  "*.token",
  "sharedSecret",
  "*.sharedSecret",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "jwt",
  "*.jwt",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  'req.headers["x-gitlab-token"]',
  'req.headers["private-token"]',
  "req.query.jwt",
  "headers.authorization",
  'headers["x-gitlab-token"]',
  'req.headers["x-forge-oauth-system"]',
  'headers["x-forge-oauth-system"]',
  "systemToken",
  "*.systemToken",
];

/**
 * The app's logger. `format` "pretty" (development's default, LOG_FORMAT) writes readable lines to stdout;
 * "json" (production's) writes pino's JSON lines. A given `destination` always gets JSON (tests read it).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, format: "json" | "pretty" = "json"): Logger {
  return pino(
    {
      level,
      base: { app: "gitlab-ci-for-bitbucket" },
      redact: { paths: REDACT, censor: "[redacted]" },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? (format === "pretty" ? prettyDestination() : undefined),
  );
}

const LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace"]);
const noop = () => undefined;

/**
 * `parent.child(bindings)`, made only when something is logged at an enabled level. pino runs its
 * redaction over a child's bindings when the child is made, and a delivery, which mostly logs nothing,
 * paid that every time (issue 16: about 5% of the bytes the app allocated at 200 events/s).
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  return new Proxy(parent, {
    get(target, prop) {
      if (!child) {
        if (typeof prop === "string" && LEVELS.has(prop) && !target.isLevelEnabled(prop)) return noop;
        child = target.child(bindings);
      }
      return Reflect.get(child, prop);
    },
    set(target, prop, value) {
      child ??= target.child(bindings);
      return Reflect.set(child, prop, value);
    },
  });
}

// ACE builds some of its strings from the request: a qsh mismatch prints the canonical request, body
// parameters included (`…&sharedSecret=…` on a re-install). Redaction by path cannot see inside a string.
const CANONICAL = /(Canonical (?:query|request) was:).*/gis;
const JWT_SHAPED = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;
const SECRET_PAIR =
  /((?:shared_?secret|secret|jwt|token|access_token|refresh_token|password|authorization|private-token|x-gitlab-token)["']?\s*[=:]\s*["']?)(?:(?:JWT|Bearer|Basic)\s+)?[^&\s"',;}]+/gi;

/** A string from a library with every known secret-bearing part cut out. */
export function scrubSecrets(text: string): string {
  return text.replace(CANONICAL, "$1 [omitted]").replace(JWT_SHAPED, "[redacted]").replace(SECRET_PAIR, "$1[redacted]");
}

/**
 * ACE logs console-style (strings mixed with objects such as request bodies). Keep only its strings,
 * scrubbed, and drop the objects: they are where install bodies and tenant rows with secrets would come
 * through.
 */
export function aceLogger(log: Logger) {
  const line = (args: unknown[]) => scrubSecrets(args.filter((a) => typeof a === "string" || typeof a === "number").join(" "));
  return {
    info: (...args: unknown[]) => log.debug({ component: "ace" }, line(args)),
    warn: (...args: unknown[]) => log.warn({ component: "ace" }, line(args)),
    error: (...args: unknown[]) => log.error({ component: "ace" }, line(args)),
  };
}

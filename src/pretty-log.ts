import type { DestinationStream } from "pino";

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL" };
/** Fields every line carries or that the line's head already shows. */
const QUIET = new Set(["level", "time", "msg", "pid", "hostname", "app", "component", "err"]);

/**
 * Development logs a person reads (issue 15, item 11): `12:03:04.120 INFO  [outbox] delivered kind=status-sync`.
 * Production keeps pino's JSON lines. pino-pretty is not a dependency; this formats pino's own output
 * after redaction, so it shows nothing the JSON would not.
 */
export function prettyDestination(out: { write(s: string): unknown } = process.stdout): DestinationStream {
  return {
    write(line: string) {
      out.write(`${prettyLine(line)}\n`);
    },
  };
}

export function prettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const time = typeof o.time === "number" ? new Date(o.time).toISOString().slice(11, 23) : "";
  const level = LEVELS[o.level as number] ?? String(o.level);
  const component = typeof o.component === "string" ? ` [${o.component}]` : "";
  const fields = Object.entries(o)
    .filter(([k]) => !QUIET.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  const err = o.err as { type?: string; message?: string; stack?: string } | undefined;
  const tail = err ? `\n    ${(err.stack ?? `${err.type ?? "Error"}: ${err.message ?? ""}`).split("\n").join("\n    ")}` : "";
  return `${time} ${level}${component} ${String(o.msg ?? "")}${fields.length ? `  ${fields.join(" ")}` : ""}${tail}`;
}

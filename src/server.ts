import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./logger";
import { startRuntime } from "./runtime";

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  // A stray rejection is a bug to log, not a reason to drop every request in flight.
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection"));
  if (config.exposedBecause) log.warn({ reason: config.exposedBecause }, "reachable from outside: production rules apply");
  if (config.env !== "production") {
    // Said loudly, and to the terminal too (LOG_LEVEL may hide warnings).
    const banner = `DEVELOPMENT MODE: any Bitbucket host may install and GitLab may be on loopback or plain http. Listening on ${config.host} only; set NODE_ENV=production (or HOST / a public https AC_LOCAL_BASE_URL) to run for real.`;
    log.warn(banner);
    process.stderr.write(`\n*** ${banner} ***\n\n`);
  }
  const runtime = await startRuntime(config, log);

  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down");
    runtime.stop(10_000).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "unclean shutdown");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});

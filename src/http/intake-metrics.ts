import type { Request, RequestHandler } from "express";
import type { Metrics } from "./metrics";

/**
 * Counts each inbound webhook by source, event and answer once it is sent. Event names come from the
 * sender, so only known ones become label values (an attacker must not grow the metric without bound).
 */
export function countIntake(
  metrics: Metrics,
  source: "bitbucket" | "gitlab",
  known: string[],
  eventOf: (req: Request) => unknown,
): RequestHandler {
  return (req, res, next) => {
    res.on("finish", () => {
      const event = eventOf(req);
      const label = typeof event === "string" && known.includes(event) ? event : "other";
      const outcome = res.getHeader("x-outcome");
      const result = res.statusCode < 300 && typeof outcome === "string" ? outcome.split(":")[0]! : String(res.statusCode);
      metrics.intake.inc({ source, event: label, result });
    });
    next();
  };
}

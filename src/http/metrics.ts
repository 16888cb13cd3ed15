import { timingSafeEqual, createHash } from "node:crypto";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Outbox } from "../outbox/outbox";

/**
 * The app's Prometheus metrics, in a registry of its own (several apps can live in one test process).
 * Outbox depth and age are read from the database when scraped, so they are true across instances.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly intake = new Counter({
    name: "gl4bb_intake_total",
    help: "Inbound webhooks by source, event and result",
    labelNames: ["source", "event", "result"] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Histogram({
    name: "gl4bb_delivery_seconds",
    help: "Time from a row's creation to the end of a delivery attempt, by kind and outcome",
    labelNames: ["kind", "outcome"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly peerResponses = new Counter({
    name: "gl4bb_peer_responses_total",
    help: "Answers from GitLab and Bitbucket by HTTP status (0: no answer)",
    labelNames: ["peer", "status"] as const,
    registers: [this.registry],
  });

  /** @param statements how many statements the per-event path (direct-sql) has run so far. */
  constructor(outbox: Outbox, statements: () => number = () => 0) {
    collectDefaultMetrics({ register: this.registry, prefix: "gl4bb_" });
    new Counter({
      name: "gl4bb_db_statements_total",
      help: "Statements run on the per-event path (intake, outbox, delivery records)",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(statements());
      },
    });
    new Counter({
      name: "gl4bb_outbox_claims_total",
      help: "Claims this instance ran, by whether they found work (found: yes or no)",
      labelNames: ["found"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ found: "yes" }, outbox.claims.found);
        this.inc({ found: "no" }, outbox.claims.empty);
      },
    });
    new Gauge({
      name: "gl4bb_outbox_rows",
      help: "Outbox rows by state",
      labelNames: ["state"] as const,
      registers: [this.registry],
      async collect() {
        const d = await outbox.depth();
        for (const [state, n] of Object.entries(d)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "gl4bb_outbox_oldest_due_seconds",
      help: "How long the oldest due pending row has waited",
      registers: [this.registry],
      async collect() {
        this.set((await outbox.oldestDueAgeMs()) / 1000);
      },
    });
  }
}

/** Whether a request may read /metrics: METRICS_TOKEN as a Bearer token, compared in constant time. */
export function metricsAllowed(expected: string | null, header: string | undefined): boolean {
  if (!expected || !header?.startsWith("Bearer ")) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(header.slice(7)), digest(expected));
}

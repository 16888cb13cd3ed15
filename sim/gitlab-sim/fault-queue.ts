import type { RequestHandler } from "express";
import type { Fault, FiredFault } from "./types";

interface Pending {
  fault: Fault;
  remaining: number;
  route?: RegExp;
}

/** Faults wait in line; each API call takes the first one whose route matches its path. */
export class FaultQueue {
  private queue: Pending[] = [];
  /** Faults calls have met so far, in order. */
  readonly fired: FiredFault[] = [];

  add(fault: Fault, count = 1, route?: RegExp): void {
    this.queue.push({ fault, remaining: count, route });
  }

  clear(): void {
    this.queue = [];
  }

  take(method: string, path: string): Fault | undefined {
    const entry = this.queue.find((p) => !p.route || p.route.test(path));
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.queue.splice(this.queue.indexOf(entry), 1);
    this.fired.push({ fault: entry.fault, method, path, at: Date.now() });
    return entry.fault;
  }
}

// What GitLab's own failures look like: Rack::Attack's throttle answers plain text, Rails' 500 JSON.
const DEFAULT_BODIES: Record<number, unknown> = {
  429: "Retry later\n",
  500: { message: "500 Internal Server Error" },
  502: "<html><body><h1>502 Bad Gateway</h1></body></html>",
  503: "<html><body><h1>503 Service Unavailable</h1></body></html>",
};

/** Sits in front of authentication, as a load balancer or rate limiter would. */
export function injectFaults(queue: FaultQueue, onDrop: (method: string, path: string) => void): RequestHandler {
  return (req, res, next) => {
    const fault = queue.take(req.method, req.path);
    if (!fault) return next();
    if ("drop" in fault) {
      onDrop(req.method, req.path);
      req.socket.destroy();
      return;
    }
    if ("delayMs" in fault) {
      setTimeout(next, fault.delayMs);
      return;
    }
    if ("answerDelayMs" in fault) {
      const end = res.end.bind(res) as (...args: unknown[]) => void;
      res.end = ((...args: unknown[]) => {
        setTimeout(() => end(...args), fault.answerDelayMs);
        return res;
      }) as typeof res.end;
      return next();
    }
    if (fault.retryAfter !== undefined) res.set("Retry-After", String(fault.retryAfter));
    const body = fault.body ?? DEFAULT_BODIES[fault.status] ?? { message: `${fault.status} Error` };
    if (typeof body === "string") res.status(fault.status).type("text/plain").send(body);
    else res.status(fault.status).json(body);
  };
}

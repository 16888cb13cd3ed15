import type { ChildProcess } from "node:child_process";

const alive = new Set<ChildProcess>();

/**
 * Every process the bench starts is registered here and killed if the driver exits or is interrupted
 * first, so an aborted run leaves no app, simulator or baseline behind.
 */
export function track(child: ChildProcess): ChildProcess {
  alive.add(child);
  child.once("exit", () => alive.delete(child));
  return child;
}

/** Asks a child to stop with `signal`, then kills it if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

const killAll = () => {
  for (const child of alive) child.kill("SIGKILL");
};
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

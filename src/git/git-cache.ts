import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runGit } from "./run-git";

/**
 * One bare repository per linked repository under a folder of its own, within a disk budget: after a
 * sync the least recently used caches are removed until the total fits (the one just used stays, even
 * alone over budget). A removed cache only costs the next sync of that repository a full fetch.
 */
export class GitCache {
  constructor(
    readonly root: string,
    private readonly maxBytes: number,
    private readonly timeoutMs: number,
  ) {}

  /**
   * This cache's identity, made once and kept in the cache's folder: an instance restarted on the same
   * disk is still the holder of its warm caches, and instances sharing one volume share one identity.
   */
  identity(): string {
    const file = path.join(this.root, ".cache-id");
    if (existsSync(file)) {
      const id = readFileSync(file, "utf8").trim();
      if (/^[0-9a-f-]{36}$/.test(id)) return id;
    }
    mkdirSync(this.root, { recursive: true });
    const id = randomUUID();
    try {
      writeFileSync(file, `${id}\n`, { flag: "wx" });
      return id;
    } catch {
      // Another instance on a shared volume wrote it first (or wrote it badly): take what is there.
      const there = readFileSync(file, "utf8").trim();
      return /^[0-9a-f-]{36}$/.test(there) ? there : id;
    }
  }

  dirOf(key: string): string {
    return path.join(this.root, `${key.replace(/[^A-Za-z0-9_-]/g, "_")}.git`);
  }

  /** The cache's bare repository, created empty on first use; marks it used now. */
  async open(key: string): Promise<string> {
    const dir = this.dirOf(key);
    if (!existsSync(path.join(dir, "HEAD"))) {
      mkdirSync(dir, { recursive: true });
      await runGit(["init", "--bare", "--quiet"], { cwd: dir, timeoutMs: this.timeoutMs, what: "Creating the git cache" });
      // Objects from Bitbucket are kept whole: no automatic gc while a sync may be reading them.
      await runGit(["config", "gc.auto", "0"], { cwd: dir, timeoutMs: this.timeoutMs, what: "Creating the git cache" });
    }
    this.touch(dir);
    return dir;
  }

  touch(dir: string): void {
    const now = new Date();
    utimesSync(dir, now, now);
  }

  /**
   * Removes least recently used caches until the total fits the budget; returns the keys' folders removed.
   * A cache used within the last git timeout is never removed: with `GIT_CACHE_DIR` on a volume that several
   * instances share, another instance may be syncing into it right now (a sync touches it as it starts).
   */
  trim(keep: string): string[] {
    const busySince = Date.now() - this.timeoutMs;
    if (!existsSync(this.root)) return [];
    const kept = this.dirOf(keep);
    const caches = readdirSync(this.root)
      .map((name) => path.join(this.root, name))
      .filter((dir) => existsSync(path.join(dir, "HEAD")))
      .map((dir) => ({ dir, used: statSync(dir).mtimeMs, bytes: sizeOf(dir) }))
      .sort((a, b) => a.used - b.used);
    let total = caches.reduce((sum, c) => sum + c.bytes, 0);
    const removed: string[] = [];
    for (const c of caches) {
      if (total <= this.maxBytes) break;
      if (c.dir === kept || c.used > busySince) continue;
      rmSync(c.dir, { recursive: true, force: true });
      total -= c.bytes;
      removed.push(c.dir);
    }
    return removed;
  }
}

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(full) : statSync(full).size;
  }
  return total;
}

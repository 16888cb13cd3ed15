import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BLOB_BYTES = 256 * 1024;
const COMMITS = 8;

/** Where the bench keeps what it may reuse between runs (the generated large repository). */
export const benchCacheDir = () => process.env.BENCH_CACHE_DIR ?? path.join(tmpdir(), "gl4bb-bench-cache");

/**
 * A bare repository of at least `mb` MB of incompressible files (random 256 KB blobs in 8 commits on
 * `main`), written by `git fast-import` in one stream: a few seconds, no work tree. Kept under
 * `benchCacheDir()` and reused by later runs (a marker file says it was finished).
 */
export async function largeRepository(mb: number): Promise<{ dir: string; reused: boolean; ms: number }> {
  const dir = path.join(benchCacheDir(), `push-sync-${mb}mb.git`);
  const marker = path.join(dir, "bench-complete");
  if (existsSync(marker)) return { dir, reused: true, ms: 0 };
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run("git", ["init", "--bare", "--quiet", "--initial-branch=main", dir]);
  const child = spawn("git", ["-C", dir, "fast-import", "--quiet", "--done"], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<number>((resolve) => child.once("close", (code) => resolve(code ?? 1)));
  const write = (chunk: string | Buffer) =>
    child.stdin.write(chunk) ? Promise.resolve() : new Promise<void>((r) => child.stdin.once("drain", () => r()));
  const files = blobsPerCommit(mb, COMMITS, BLOB_BYTES);
  for (let c = 0; c < COMMITS; c++) {
    await write(commitHeader(c, 1_700_000_000 + c * 60));
    for (let f = 0; f < files; f++) {
      await write(`M 100644 inline d${c}/f${String(f).padStart(3, "0")}.bin\ndata ${BLOB_BYTES}\n`);
      await write(randomBytes(BLOB_BYTES));
      await write("\n");
    }
  }
  await write("done\n");
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import failed (${code}): ${stderr.slice(0, 500)}`);
  writeFileSync(marker, new Date().toISOString());
  return { dir, reused: false, ms: Math.round(performance.now() - t0) };
}

/** Files of `blobBytes` per commit so that `commits` commits hold at least `mb` MB. */
export function blobsPerCommit(mb: number, commits: number, blobBytes: number): number {
  return Math.max(1, Math.ceil((mb * 1024 * 1024) / blobBytes / commits));
}

/** A fast-import commit on main, its parent the previous mark (none for the first). */
export function commitHeader(index: number, epochSeconds: number): string {
  const message = `bench: files ${index}\n`;
  return (
    `commit refs/heads/main\nmark :${index + 1}\n` +
    `committer Bench <bench@example.com> ${epochSeconds} +0000\n` +
    `data ${Buffer.byteLength(message)}\n${message}` +
    (index > 0 ? `from :${index}\n` : "")
  );
}

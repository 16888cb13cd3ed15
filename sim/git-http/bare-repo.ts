import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const AUTHOR = {
  GIT_AUTHOR_NAME: "Sim Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Sim Author",
  GIT_COMMITTER_EMAIL: "author@example.com",
};

export interface CommitSpec {
  /** The branch to move to the new commit (created when missing). */
  branch: string;
  /** Files to add or change, path → content; by default one file with a unique line. */
  files?: Record<string, string | Buffer>;
  message?: string;
  /**
   * The parent commit: the branch's head by default. Another commit (or null for a root commit) makes
   * the branch jump, as a force-push does.
   */
  parent?: string | null;
}

/**
 * A bare repository a simulator serves, written with git's plumbing (a throwaway index, no work tree), so
 * tests can make commits, branches and tags the way a developer's push would leave them.
 */
export class BareRepo {
  private counter = 0;

  constructor(readonly dir: string) {}

  /** Creates the bare repository (and its parent folders) if it does not exist yet. */
  static async init(dir: string, config: Record<string, string> = {}): Promise<BareRepo> {
    mkdirSync(dir, { recursive: true });
    await run("git", ["init", "--bare", "--quiet", "--initial-branch=main", dir]);
    for (const [key, value] of Object.entries(config)) await run("git", ["-C", dir, "config", key, value]);
    return new BareRepo(dir);
  }

  async git(...args: string[]): Promise<string> {
    const { stdout } = await run("git", ["-C", this.dir, ...args], {
      env: { ...process.env, ...AUTHOR },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  }

  /** Makes a commit on `spec.branch` and returns its sha. */
  async commit(spec: CommitSpec): Promise<string> {
    const parent = spec.parent === undefined ? await this.resolve(`refs/heads/${spec.branch}`) : spec.parent;
    const scratch = mkdtempSync(path.join(tmpdir(), "sim-index-"));
    try {
      const env = { ...process.env, ...AUTHOR, GIT_INDEX_FILE: path.join(scratch, "index") };
      const git = async (...args: string[]) =>
        (await run("git", ["-C", this.dir, ...args], { env, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
      if (parent) await git("read-tree", parent);
      const n = ++this.counter;
      const files = spec.files ?? { [`${spec.branch.replace(/\//g, "-")}.txt`]: `change ${n} at ${Date.now()}\n` };
      for (const [file, content] of Object.entries(files)) {
        const blobFile = path.join(scratch, `blob-${n}`);
        writeFileSync(blobFile, content);
        const blob = await git("hash-object", "-w", blobFile);
        await git("update-index", "--add", "--cacheinfo", `100644,${blob},${file}`);
      }
      const tree = await git("write-tree");
      const sha = await git("commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", spec.message ?? `change ${n}`);
      await git("update-ref", `refs/heads/${spec.branch}`, sha);
      return sha;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Points a ref (`refs/heads/x`, `refs/tags/v1`) at a commit, whatever it pointed at before. */
  async setRef(ref: string, sha: string): Promise<void> {
    await this.git("update-ref", ref, sha);
  }

  async deleteRef(ref: string): Promise<void> {
    await this.git("update-ref", "-d", ref);
  }

  /** A tag on `target`; annotated (a tag object) unless told otherwise. Returns the ref's own sha. */
  async tag(name: string, target: string, opts: { annotated?: boolean } = {}): Promise<string> {
    if (opts.annotated === false) await this.git("tag", name, target);
    else await this.git("tag", "-a", name, "-m", `release ${name}`, target);
    return this.resolve(`refs/tags/${name}`) as Promise<string>;
  }

  /** The sha a ref points at, or null. */
  async resolve(ref: string): Promise<string | null> {
    try {
      return await this.git("rev-parse", "--verify", "--quiet", ref);
    } catch {
      return null;
    }
  }

  /** Every branch and tag: full ref name → the sha it points at (a tag object's own sha for annotated tags). */
  async refs(): Promise<Map<string, string>> {
    const out = await this.git("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags");
    return new Map(
      out
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [sha, ref] = line.split(" ");
          return [ref!, sha!] as const;
        }),
    );
  }
}

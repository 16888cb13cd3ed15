import { spawn } from "node:child_process";
import { PeerFailure } from "../errors";
import { gitEnv, type GitCredential } from "./git-env";
import { scrubSecrets } from "./scrub-secrets";

export interface GitRun {
  /** The repository to run in (`git -C`). */
  cwd: string;
  credentials?: GitCredential[];
  timeoutMs: number;
  /** What the command is for, in the words a failure starts with ("Fetching from Bitbucket"). */
  what: string;
  /** Whose failure it is when the remote answers badly. */
  peer?: "gitlab" | "bitbucket" | "git";
}

export interface GitOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs one git command and returns its output, whatever its exit code (a partial push has both). */
export function runGitRaw(args: string[], run: GitRun): Promise<GitOutput> {
  const secrets = (run.credentials ?? []).flatMap((c) => [c.password, Buffer.from(`${c.user}:${c.password}`).toString("base64")]);
  return new Promise((resolve, reject) => {
    // No shell: arguments go to git as they are, and tokens are only ever in the environment.
    const child = spawn("git", ["-C", run.cwd, ...args], { env: gitEnv(run.credentials), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill("SIGKILL"), run.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new PeerFailure({ peer: "git", message: `${run.what}: could not run git (${e.message})`, transient: true }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const clean = scrubSecrets(stderr, secrets).trim();
      if (signal) {
        const message = `${run.what}: git took longer than ${Math.round(run.timeoutMs / 1000)} s and was stopped`;
        return reject(new PeerFailure({ peer: run.peer ?? "git", message, transient: true }));
      }
      resolve({ stdout: scrubSecrets(stdout, secrets), stderr: clean, code: code ?? 1 });
    });
  });
}

/** Runs one git command; a non-zero exit is a PeerFailure in plain words, retried when it may pass. */
export async function runGit(args: string[], run: GitRun): Promise<string> {
  const out = await runGitRaw(args, run);
  if (out.code !== 0) throw gitFailure(run, out.stderr);
  return out.stdout;
}

/** Reads git's complaint: refused credentials and missing repositories will not pass by waiting. */
export function gitFailure(run: Pick<GitRun, "what" | "peer">, stderr: string): PeerFailure {
  const lines = stderr.split("\n").filter((l) => l && !/^(hint|warning):/.test(l));
  const said = lines.slice(-3).join(" ").slice(0, 400) || "git failed without saying why";
  const refused = /Authentication failed|HTTP Basic: Access denied|could not read Username|\b40[13]\b|not allowed/i.test(stderr);
  const missing = /not found|does not appear to be a git repository|\b404\b/i.test(stderr);
  const status = refused ? (/\b403\b|not allowed/i.test(stderr) ? 403 : 401) : missing ? 404 : undefined;
  const because = refused ? "the credentials were refused" : missing ? "the repository was not found" : "";
  return new PeerFailure({
    peer: run.peer ?? "git",
    status,
    message: `${run.what} failed${because ? `: ${because}` : ""} (${said})`,
    transient: !refused && !missing,
  });
}

/** What a GitLab project lets the app do, in plain words for the admin. Pure: no I/O. */
import { mirrorSourceMismatch, mismatchText, type MirrorSourceMismatch } from "./mirror-source";

export type Level = "ok" | "warning" | "error";
export interface Finding {
  level: Level;
  text: string;
}

export interface ProjectFacts {
  username: string;
  path: string;
  /** The user's effective access level on the project (0: not a member). */
  accessLevel: number;
  /** GitLab's `mirror` field; absent when GitLab does not show it (not Premium, or not a Maintainer). */
  mirror?: boolean;
  mirrorTriggerBuilds?: boolean;
  importUrl?: string | null;
  /** The token's scopes, when GitLab told us. */
  scopes?: string[] | null;
  /** "workspace" when the repository uses the workspace's default token. */
  tokenSource?: "repository" | "workspace";
  /** This repository's clone URL, to compare the mirror's source with (null: the page did not name it). */
  repositoryUrl?: string | null;
}

export interface Readiness {
  canLink: boolean;
  /** Whether the token may push (Developer or above, `api` or `write_repository` scope): push sync needs it. */
  canPush: boolean;
  findings: Finding[];
  /** What happens when the admin links the project, step by step. */
  plan: string[];
  /** The mirror pulls another repository: linking then needs the admin's confirmation (`acceptMirrorSource`). */
  mirrorSourceMismatch: MirrorSourceMismatch | null;
}

export const REPORTER = 20;
export const DEVELOPER = 30;
export const MAINTAINER = 40;
const ROLES: Record<number, string> = {
  10: "Guest",
  15: "Planner",
  20: "Reporter",
  30: "Developer",
  40: "Maintainer",
  50: "Owner",
};

export const roleName = (level: number): string => ROLES[level] ?? (level > 50 ? "Admin" : "not a member");

export function projectReadiness(f: ProjectFacts): Readiness {
  const maySetUp = f.accessLevel >= MAINTAINER && (!f.scopes || f.scopes.includes("api"));
  const canPush = f.accessLevel >= DEVELOPER && (!f.scopes || f.scopes.some((s) => s === "api" || s === "write_repository"));
  const mismatch = f.mirror ? mirrorSourceMismatch(f.importUrl, f.repositoryUrl) : null;
  const findings = [roleFinding(f), ...scopeFindings(f), mirrorFinding(f, mismatch), pushFinding(f, canPush)];
  const plan = [
    f.tokenSource === "workspace"
      ? "The workspace's default token is used (a workspace admin manages it); this repository stores none of its own."
      : "The token is stored encrypted; only its last 4 characters are ever shown again.",
    maySetUp
      ? `The app adds a webhook to ${f.path} for pipeline and job events.`
      : "You get a webhook URL and secret, once, to add in GitLab under Settings › Webhooks.",
    mirrorStep(f, maySetUp),
    "Each pipeline's result shows as a build status on the commit and its pull requests.",
  ];
  return { canLink: f.accessLevel >= REPORTER, canPush, findings, plan, mirrorSourceMismatch: mismatch };
}

function pushFinding(f: ProjectFacts, canPush: boolean): Finding {
  if (canPush) {
    return {
      level: "ok",
      text: `${f.username} may push to ${f.path}: push sync (any GitLab tier, seconds after each push) is available.`,
    };
  }
  return {
    level: "warning",
    text:
      f.accessLevel < DEVELOPER
        ? `${f.username} cannot push to ${f.path} (push sync needs Developer or above).`
        : "The token cannot push: push sync needs the write_repository or api scope.",
  };
}

function mirrorStep(f: ProjectFacts, maySetUp: boolean): string {
  if (f.mirror === true && maySetUp) return "On every push here, the app asks GitLab to update the mirror at once.";
  if (f.accessLevel >= MAINTAINER && f.mirror !== true)
    return "No pipeline runs until the project pull-mirrors this repository: the app does not push code to GitLab.";
  return `GitLab updates the mirror on its own schedule: this token cannot ask it to update sooner, so the app will not try. ${IMMEDIATE}`;
}

/** How to get pipelines seconds after a push when the token cannot trigger the mirror. */
export const IMMEDIATE =
  "For immediate updates, link again with a Maintainer's token, or switch the link to push sync (the app pushes to GitLab itself; needs a Developer's token with write access).";

function roleFinding(f: ProjectFacts): Finding {
  const role = `${f.username} is ${f.accessLevel ? `${roleName(f.accessLevel)} of` : "not a member of"} ${f.path}`;
  if (f.accessLevel < REPORTER) return { level: "error", text: `${role}: the app needs at least Reporter to read pipelines.` };
  if (f.accessLevel < MAINTAINER) {
    return {
      level: "warning",
      text: `${role}: needs Maintainer to add the webhook and to trigger mirror updates. You can still link and add the webhook yourself.`,
    };
  }
  return { level: "ok", text: `${role}: the app can add its webhook${f.mirror ? " and trigger mirror updates" : ""}.` };
}

function scopeFindings(f: ProjectFacts): Finding[] {
  if (!f.scopes || f.scopes.includes("api")) return [];
  if (f.scopes.includes("read_api")) {
    return [
      {
        level: "warning",
        text: "The token has read_api only: it can read pipelines, but cannot add the webhook or trigger mirror updates. Use the api scope.",
      },
    ];
  }
  return [{ level: "error", text: `The token's scopes (${f.scopes.join(", ") || "none"}) do not include api or read_api.` }];
}

function mirrorFinding(f: ProjectFacts, mismatch: MirrorSourceMismatch | null): Finding {
  if (f.accessLevel < MAINTAINER) {
    return {
      level: "warning",
      text: "GitLab shows mirror settings to Maintainers only, so the app cannot tell whether this project pull-mirrors the repository.",
    };
  }
  if (f.mirror === undefined) {
    return {
      level: "warning",
      text: "GitLab shows no pull mirror for this project: pull mirroring needs GitLab Premium or Ultimate. Without it, pushes here never reach GitLab.",
    };
  }
  if (!f.mirror) {
    return {
      level: "warning",
      text: "The project is not a pull mirror. Set one up under Settings › Repository › Mirroring repositories, pulling from this repository.",
    };
  }
  if (mismatch) return { level: "error", text: `${mismatchText(mismatch, f.path)} Linking asks you to confirm.` };
  if (f.mirrorTriggerBuilds === false) {
    return {
      level: "warning",
      text: "Mirror updates do not start pipelines: turn on “Trigger pipelines for mirror updates” in the project's mirroring settings.",
    };
  }
  return {
    level: "ok",
    text: f.importUrl
      ? `Pull-mirrors ${f.importUrl} and runs pipelines for mirror updates.`
      : "Pull mirror on, with pipelines for mirror updates.",
  };
}

import type { RequestHandler } from "express";

/** Who may act on one repository's settings: proven by the edition's own auth wall. */
export interface SettingsGrant {
  /** The installation the repository belongs to. */
  clientKey: string;
  repoUuid: string;
  /** workspace/repo as Bitbucket named it when the page loaded (display only). */
  repoPath: string | null;
  /** The Bitbucket account acting (for the audit trail). */
  user: string;
}

/** Who may act on a workspace's settings. */
export interface WorkspaceGrant {
  clientKey: string;
  user: string;
}

declare module "express-serve-static-core" {
  interface Request {
    grant?: SettingsGrant;
    workspaceGrant?: WorkspaceGrant;
  }
}

/**
 * Where an edition mounts the settings API: the path prefix (`/api` for Connect, `/forge/api` for Forge)
 * and the wall that proves the caller and sets `req.grant` (or `req.workspaceGrant`).
 */
export interface SettingsDoor {
  prefix: string;
  repositoryAuth: RequestHandler;
  workspaceAuth: RequestHandler;
}

import type { BitbucketClient } from "../bitbucket/bitbucket-client";

/** A Bitbucket access token the app holds for a while (never logged, never sent to a browser). */
export interface AccessToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /**
   * Whether the token may be handed to another party (GitLab's pull mirror): only when it is bound to
   * one repository and read-only. A workspace-wide token (Forge's system token) never leaves the app.
   */
  shareable: boolean;
}

/**
 * The app installed in one Bitbucket workspace, as everything past an edge sees it: a Connect tenant or
 * a Forge installation. Use cases ask it for a Bitbucket client and never learn how it authenticates.
 */
export interface Installation {
  /** The key the app's rows carry for it: a Connect clientKey, or `forge:<installationId>`. */
  readonly key: string;
  readonly edition: "connect" | "forge";
  /** The workspace's UUID, with braces. */
  readonly workspaceUuid: string;
  /** `https://bitbucket.org`: where git clones from. */
  readonly webBaseUrl: string;
  /** The REST API as the app in this workspace. */
  readonly bitbucket: BitbucketClient;
  /**
   * The REST API as Code Insights wants it: its endpoints document OAuth bearer authentication, so the
   * Connect edition sends an access token here (or its JWT, when CODE_INSIGHTS_AUTH=jwt).
   */
  readonly insights: BitbucketClient;
  /**
   * A bearer token that can read one repository (git over HTTPS as `x-token-auth`, OAuth-only endpoints).
   * Connect binds it to that repository; Forge has only its workspace-wide system token, which must never
   * leave the app.
   */
  repositoryToken(repoUuid: string): Promise<AccessToken>;
}

/** Finds the installation a row belongs to (null once it is gone). */
export type FindInstallation = (key: string) => Promise<Installation | null>;

/** Forge installations' rows are keyed `forge:<installationId>`; no Connect clientKey may start so. */
export const FORGE_KEY_PREFIX = "forge:";

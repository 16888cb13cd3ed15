/** An app installation in one workspace, as Bitbucket knows it. One object per clientKey, updated in place. */
export interface SimTenant {
  clientKey: string;
  /** The secret of the last install the app accepted (or, if it never accepted one, the last one sent). */
  sharedSecret: string;
  appKey: string;
  workspace: { uuid: string; slug: string };
  /** The descriptor's baseUrl: after fetching the descriptor, Bitbucket addresses the app through it. */
  appBaseUrl: string;
  descriptor: any;
  installed: boolean;
}

export interface SimRepo {
  uuid: string;
  slug: string;
  fullName: string;
  workspace: { uuid: string; slug: string };
  /** Bitbucket's `is_private` (absent: private, Bitbucket's default). */
  isPrivate?: boolean;
  /** branch name -> head sha */
  branches: Map<string, string>;
}

export interface RecordedStatus {
  repoUuid: string;
  sha: string;
  key: string;
  state: string;
  name?: string;
  url?: string;
  description?: string;
  refname?: string;
  createdOn: string;
  updatedOn: string;
  /** clientKey of the tenant whose token created the status */
  postedBy: string;
  /** how many times the status was overwritten after it was created */
  updates: number;
}

export type Fault = { status: number; retryAfter?: number; body?: unknown } | { delayMs: number } | { drop: true };

/** An injected fault that a call actually met, so a test can show its fault fired. */
export interface FiredFault {
  fault: Fault;
  method: string;
  path: string;
  at: number;
}

export interface ApiCall {
  method: string;
  path: string;
  /** 0 while in flight, and for a dropped connection */
  status: number;
  at: number;
  clientKey?: string;
  error?: string;
  /** How a Code Insights call authenticated: an access token of the JWT grant, a Connect JWT, or a Forge system token. */
  auth?: "access-token" | "jwt" | "forge";
}

/**
 * Overrides for the tokens the simulator signs as Bitbucket. `aud: null` / `sub: null` leave the claim out;
 * `omit` removes claims after defaults are applied.
 */
export interface SignOpts {
  secret?: string;
  iss?: string;
  aud?: string | string[] | null;
  sub?: string | null;
  qsh?: string;
  exp?: number;
  iat?: number;
  alg?: "HS256" | "none";
  omit?: ("exp" | "qsh" | "iss")[];
  expiresInSeconds?: number;
}

import type { IssuedAccessToken } from "./access-tokens";
import { bracedUuid, sameUuid } from "./ids";
import type { ApiCall, Fault, FiredFault, RecordedStatus, SimRepo, SimTenant } from "./types";

/** Bitbucket's own record of an installation; the SimTenant handed to tests mirrors it. */
export interface Installation {
  tenant: SimTenant;
  /** Secret from the last install the app answered 2xx to: signs later lifecycle calls and verifies API calls. */
  acceptedSecret?: string;
  /**
   * Secrets of installs whose callback is in flight: Bitbucket made these pairs, so its token grant
   * vouches for them while the app decides (that is how an app proves an unsigned install is genuine).
   */
  pendingSecrets?: Set<string>;
  installed: boolean;
}

export interface StoredStatus extends RecordedStatus {
  uuid: string;
}

type Workspace = { uuid: string; slug: string };

/** A bearer token Bitbucket accepts for one workspace (a Forge app system token). */
export interface BearerToken {
  workspaceUuid: string;
  /** Who statuses posted with it belong to (the Forge app's identity in that workspace). */
  identity: string;
  /** Epoch ms, by the simulator's clock. */
  expiresAt: number;
}

/** Everything the simulated Bitbucket knows, shared by the lifecycle side and the REST API. */
export class SimState {
  readonly installations = new Map<string, Installation>();
  readonly workspaces = new Map<string, Workspace>();
  readonly repos = new Map<string, SimRepo>();
  readonly statuses = new Map<string, StoredStatus>();
  /** Pull requests a test opened, by `{repo uuid}#{id}`: their source head (full hash), for `…/commits`. */
  readonly pullRequests = new Map<string, { sourceHead: string }>();
  readonly apiCalls: ApiCall[] = [];
  /** Git smart-HTTP requests (`/info/refs`, `/git-upload-pack`), kept apart from the REST calls. */
  readonly gitCalls: ApiCall[] = [];
  readonly faults: Fault[] = [];
  /** Faults met by Code Insights calls only (reports and annotations), in order. */
  readonly insightFaults: Fault[] = [];
  readonly firedFaults: FiredFault[] = [];
  /** Access tokens issued by the JWT grant, by token. */
  readonly accessTokens = new Map<string, IssuedAccessToken>();
  accessTokenTtlSeconds = 7200;
  /** Bearer tokens registered by the Forge simulator, by token. */
  readonly bearerTokens = new Map<string, BearerToken>();

  constructor(
    readonly baseUrl: string,
    readonly apiBaseUrl: string,
    /** The clock access tokens expire by (epoch ms); JWTs are checked against real time. */
    readonly now: () => number = Date.now,
  ) {}

  /** The workspace named by uuid (braces optional) or else by slug, created on first mention. */
  workspaceFor(opts: { workspaceUuid?: string; workspaceSlug?: string }): Workspace {
    const uuid = opts.workspaceUuid && (opts.workspaceUuid.startsWith("{") ? opts.workspaceUuid : `{${opts.workspaceUuid}}`);
    const all = [...this.workspaces.values()];
    const known = uuid ? all.find((w) => sameUuid(w.uuid, uuid)) : all.find((w) => w.slug === opts.workspaceSlug);
    if (known) return { ...known };
    const slug = opts.workspaceSlug ?? `workspace-${all.length + 1}`;
    if (all.some((w) => w.slug === slug)) throw new Error(`workspace slug ${slug} belongs to another workspace`);
    const workspace = { uuid: uuid ?? bracedUuid(), slug };
    this.workspaces.set(workspace.uuid, workspace);
    return { ...workspace };
  }
}

export function statusId(repoUuid: string, sha: string, key: string): string {
  return JSON.stringify([repoUuid, sha, key]);
}

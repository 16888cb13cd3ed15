import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BitbucketSim } from "../bitbucket-sim/bitbucket-sim";
import { lifecycleFixture, pullRequestFixture, pushFixture, triggerClaims, uiClaims, type ForgeInstall } from "./claims";
import { signFit, signingKey, type SignOptions, type SigningKey } from "./fit-signer";

export type { ForgeInstall } from "./claims";

// The manifest's endpoint key of each remote route: what Forge names in `app.module.key` of an event FIT.
const ENDPOINT_KEYS: Record<string, string> = {
  "/forge/lifecycle": "lifecycle",
  "/forge/tick": "tick",
  "/forge/events/push": "push-events",
  "/forge/events/pullrequest": "pull-request-events",
  "/forge/uninstalling": "uninstalling",
};

export interface Reply {
  status: number;
  body: any;
}

export interface PushOptions {
  /** Wrap the event as `{ payload: … }` (how Forge's docs show retries), with this retry count. */
  envelope?: { retryCount?: number };
  /** Overrides merged into `push`. */
  push?: Record<string, unknown>;
}

/**
 * Forge, as the backend of a Forge Remote app meets it: it signs invocation tokens (FITs) with its own RSA
 * key and serves the JWKS, issues app system tokens that the Bitbucket simulator accepts as bearer tokens
 * (2 hours, or expired on demand), and calls the app's remote endpoints: lifecycle, product events, the
 * hourly tick, and UI calls (invokeRemote).
 */
export class ForgeSim {
  readonly jwksUrl: string;
  /** A second key, never published: tokens it signs must be refused. */
  stranger!: SigningKey;
  systemTokenTtlMs = 2 * 60 * 60_000;

  private constructor(
    private readonly server: Server,
    readonly key: SigningKey,
    /** The app's ARI, `ari:cloud:ecosystem::app/<uuid>`. */
    readonly appId: string,
    private readonly bitbucket: BitbucketSim,
    /** Keys published in the JWKS (tests may add a rotated one). */
    readonly published: SigningKey[],
  ) {
    this.jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  static async start(opts: { bitbucket: BitbucketSim; appUuid?: string }): Promise<ForgeSim> {
    const key = await signingKey();
    const published = [key];
    const server = createServer((req, res) => {
      if (req.method === "GET" && req.url === "/.well-known/jwks.json") {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const sim = new ForgeSim(server, key, `ari:cloud:ecosystem::app/${opts.appUuid ?? randomUUID()}`, opts.bitbucket, published);
    sim.stranger = await signingKey();
    return sim;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Installs the app in a workspace: a new installation id, a fresh system token, and the lifecycle call. */
  async install(appUrl: string, opts: { workspaceUuid?: string; environment?: string } = {}): Promise<ForgeInstall & Reply> {
    const workspace = this.bitbucket.workspace(opts.workspaceUuid ?? `{${randomUUID()}}`);
    const install: ForgeInstall = {
      installationId: `ari:cloud:ecosystem::installation/${randomUUID()}`,
      workspaceId: workspace.uuid.replace(/^\{|\}$/g, ""),
      apiBaseUrl: this.bitbucket.apiBaseUrl,
      environment: opts.environment ?? "PRODUCTION",
      systemToken: "",
    };
    this.renewSystemToken(install);
    const event = { ...lifecycleFixture(), id: install.installationId, app: { id: this.appId, version: "1.0.0" } };
    const reply = await this.invoke(appUrl, "/forge/lifecycle", install, event);
    return Object.assign(install, reply);
  }

  /**
   * Issues the installation a new system token (Bitbucket accepts it for 2 hours). Like Forge's, it is a
   * JWT whose `exp` says when it ends; its signature is nothing the app can or should check.
   */
  renewSystemToken(install: ForgeInstall): string {
    const expiresAt = Date.now() + this.systemTokenTtlMs;
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const token = `${part({ alg: "RS256", typ: "JWT" })}.${part({ exp: Math.floor(expiresAt / 1000), sub: install.installationId, jti: randomUUID() })}.${randomBytes(32).toString("base64url")}`;
    this.bitbucket.acceptBearerToken(token, {
      workspaceUuid: `{${install.workspaceId}}`,
      identity: `forge-app:${this.appId}`,
      expiresAt,
    });
    install.systemToken = token;
    return token;
  }

  /** Bitbucket refuses the installation's current system token from now on. */
  expireSystemToken(install: ForgeInstall): void {
    this.bitbucket.expireBearerToken(install.systemToken);
  }

  /** The hourly scheduled trigger. */
  tick(appUrl: string, install: ForgeInstall): Promise<Reply> {
    return this.invoke(appUrl, "/forge/tick", install, { context: { cloudId: install.workspaceId } }, "tick");
  }

  /** An `avi:bitbucket:push:repository` event for a push to `ref` of `repoUuid`. */
  pushEvent(install: ForgeInstall, repoUuid: string, push: Record<string, unknown> = {}): Record<string, any> {
    const event = pushFixture();
    event.workspace.uuid = `{${install.workspaceId}}`;
    event.repository = { uuid: repoUuid }; // no slug: Forge payloads address repositories by uuid
    event.push = { ...event.push, ...push };
    for (const [k, v] of Object.entries(event.push)) if (v === undefined) delete event.push[k];
    return event;
  }

  /** Delivers a product event, bare or in the `{ payload, retryContext }` envelope. */
  sendPush(appUrl: string, install: ForgeInstall, event: Record<string, unknown>, opts: PushOptions = {}): Promise<Reply> {
    const body = opts.envelope
      ? {
          payload: {
            ...event,
            retryContext: { retryCount: opts.envelope.retryCount ?? 1, retryReason: "TIMEOUT_ERROR", retryData: null },
          },
        }
      : event;
    return this.invoke(appUrl, "/forge/events/push", install, body);
  }

  /**
   * An `avi:bitbucket:<action>:pullrequest` event for pull request `id` of `repoUuid` (branch and commit
   * fields as in the fixture: `{name}` and `{hash}` objects, 12-character hashes).
   */
  pullRequestEvent(
    install: ForgeInstall,
    repoUuid: string,
    pr: {
      id: number;
      action: "created" | "updated" | "fulfilled" | "rejected";
      source: string;
      destination: string;
      /** Full or short: the event carries 12 characters, as Bitbucket's do. */
      sourceCommit: string;
      destinationCommit: string;
    },
  ): Record<string, any> {
    // The documented shape (test/fixtures/forge/README.md): ids only, `{branch, commit: {hash}}` sides.
    const event = pullRequestFixture();
    event.eventType = `avi:bitbucket:${pr.action}:pullrequest`;
    event.timestamp = new Date().toISOString();
    event.workspace.uuid = `{${install.workspaceId}}`;
    event.repository = { uuid: repoUuid };
    const p = event.pullrequest;
    p.id = pr.id;
    p.state = { created: "OPEN", updated: "OPEN", fulfilled: "MERGED", rejected: "DECLINED" }[pr.action];
    p.updatedOn = event.timestamp;
    p.source = { branch: pr.source, commit: { hash: pr.sourceCommit.slice(0, 12) } };
    p.destination = { branch: pr.destination, commit: { hash: pr.destinationCommit.slice(0, 12) } };
    if (pr.action === "fulfilled") p.mergeCommit = { hash: pr.destinationCommit.slice(0, 12) };
    return event;
  }

  /** A UI call from the repository settings page of `repoUuid` (invokeRemote). */
  async ui(
    appUrl: string,
    install: ForgeInstall,
    method: string,
    path: string,
    body?: unknown,
    ctx: { repoUuid?: string; workspaceId?: string; moduleType?: string } = {},
  ): Promise<Reply> {
    const token = await signFit(this.key, uiClaims(this.appId, install, ctx));
    return this.send(appUrl + path, method, token, install.systemToken, body);
  }

  /** Calls a remote endpoint with a freshly signed FIT and the system token, as Forge does. */
  async invoke(
    appUrl: string,
    path: string,
    install: ForgeInstall,
    body: unknown,
    moduleKey?: string,
    sign: SignOptions = {},
  ): Promise<Reply> {
    const key = moduleKey ?? ENDPOINT_KEYS[path] ?? "push-events";
    const token = await signFit(this.key, triggerClaims(this.appId, install, key), sign);
    return this.send(appUrl + path, "POST", token, install.systemToken, body);
  }

  /** Sends a request with whatever FIT the caller made (forgery tests). */
  async send(url: string, method: string, fit: string | null, systemToken: string | null, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (fit !== null) headers.authorization = `Bearer ${fit}`;
    if (systemToken) headers["x-forge-oauth-system"] = systemToken;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  }

  claims(install: ForgeInstall, moduleKey?: string): Record<string, unknown> {
    return triggerClaims(this.appId, install, moduleKey);
  }
}

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BareRepo } from "../git-http/bare-repo";
import { GitLabRepos, type SimPush } from "../git-http/gitlab-git";
import { deliverToHooks, type DeliverOptions, type DeliveryResult } from "./deliver-hooks";
import { FaultQueue } from "./fault-queue";
import { jobHookPayload, pipelineHookPayload, type PayloadOptions } from "./hook-payloads";
import * as pipelines from "./pipelines";
import { PullMirrors } from "./pull-mirrors";
import { createSimApp } from "./sim-app";
import { SimState } from "./sim-state";
import type {
  AccessLevel,
  ApiCall,
  Delivery,
  Fault,
  FiredFault,
  GitLabStatus,
  HookKind,
  MirrorCredentialCheck,
  MirrorOutcome,
  SimGroup,
  SimHook,
  SimJob,
  SimPipeline,
  SimProject,
  SimUser,
} from "./types";

export interface GitLabSimOptions {
  /** GitLab's plan limit for forced mirror updates; 300 s by default, as on GitLab. */
  pullMirrorIntervalSeconds?: number;
  /** GitLab gives a webhook receiver 10 s. */
  hookTimeoutMs?: number;
  /** The simulator's clock (epoch ms), for tests that move time by hand. */
  now?: () => number;
}

/**
 * A GitLab (17.6, Premium) on 127.0.0.1 that serves the REST routes the app calls, checks tokens and
 * roles as GitLab does, and fires Pipeline and Job hooks when a test says so.
 */
export class GitLabSim {
  /** Set to observe (or fail, by throwing) the mirror updates a trigger really starts. */
  onMirrorUpdate?: (project: SimProject) => void | Promise<void>;
  /**
   * Where a mirrored project added without `importUrl` pulls from, by its path: set by whoever runs this
   * beside a Bitbucket simulator (`bitbucket.cloneUrlOf`), so the mirror pulls the repository of that name.
   */
  mirrorSourceFor?: (projectPath: string) => string | undefined;
  readonly deliveries: Delivery[] = [];
  readonly apiCalls: ApiCall[] = [];
  private readonly state: SimState;
  private readonly mirrors: PullMirrors;
  private readonly faults = new FaultQueue();
  private readonly hookTimeoutMs: number;
  private server?: Server;

  private constructor(opts: GitLabSimOptions) {
    this.state = new SimState(opts.now ?? Date.now);
    this.hookTimeoutMs = opts.hookTimeoutMs ?? 10_000;
    this.mirrors = new PullMirrors(this.state, (opts.pullMirrorIntervalSeconds ?? 300) * 1000, (p) => this.runMirrorUpdate(p));
  }

  static async start(opts: GitLabSimOptions = {}): Promise<GitLabSim> {
    const sim = new GitLabSim(opts);
    sim.state.repos = new GitLabRepos(mkdtempSync(path.join(tmpdir(), "gitlab-sim-git-")));
    const app = createSimApp({ state: sim.state, mirrors: sim.mirrors, faults: sim.faults, apiCalls: sim.apiCalls });
    await new Promise<void>((resolve) => {
      sim.server = app.listen(0, "127.0.0.1", resolve);
    });
    sim.state.baseUrl = `http://127.0.0.1:${(sim.server!.address() as AddressInfo).port}`;
    return sim;
  }

  /** The GitLab base URL, e.g. http://127.0.0.1:41234 (the API lives under /api/v4). */
  get url(): string {
    return this.state.baseUrl;
  }

  /** The project's git repository (served at `{url}/{path}.git`), for tests to read or write. */
  git(project: SimProject): Promise<BareRepo> {
    return this.state.repos!.get(project);
  }

  /** Every push the project's git received: ref updates and push options. */
  pushes(project: SimProject): SimPush[] {
    return this.state.repos!.pushes.filter((p) => p.projectId === project.id);
  }

  /** Pipelines of a project, oldest first. */
  pipelines(project: SimProject): SimPipeline[] {
    return [...this.state.pipelines.values()].filter((p) => p.projectId === project.id);
  }

  async close(): Promise<void> {
    if (this.state.repos) rmSync(this.state.repos.root, { recursive: true, force: true });
    await this.mirrors.close();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  addUser(username: string, name?: string): SimUser {
    const user = { id: this.state.nextId("user"), username, name: name ?? username };
    this.state.users.set(user.id, user);
    return user;
  }

  /** A personal access token ("glpat-…"), with the `api` scope unless told otherwise. */
  addToken(user: SimUser, opts: { scopes?: string[]; expired?: boolean; revoked?: boolean } = {}): string {
    const token = `glpat-${randomBytes(15).toString("base64url")}`;
    this.state.tokens.set(token, {
      token,
      user,
      scopes: opts.scopes ?? ["api"],
      expired: opts.expired ?? false,
      revoked: opts.revoked ?? false,
    });
    return token;
  }

  /** Projects are private and Premium by default; a mirrored one pulls from a Bitbucket URL. */
  addProject(
    path: string,
    opts: {
      mirror?: boolean;
      premium?: boolean;
      mirrorPaused?: boolean;
      defaultBranch?: string;
      importUrl?: string;
      visibility?: "private" | "internal" | "public";
    } = {},
  ): SimProject {
    if (path.split("/").length < 2) throw new Error(`a project path needs a namespace: ${path}`);
    const project: SimProject = {
      id: this.state.nextId("project"),
      pathWithNamespace: path,
      webUrl: `${this.url}/${path}`,
      defaultBranch: opts.defaultBranch ?? "main",
      visibility: opts.visibility,
      mirror: opts.mirror ?? false,
      mirrorPaused: opts.mirrorPaused ?? false,
      mirrorTriggerBuilds: opts.mirror ?? false,
      premium: opts.premium ?? true,
      importUrl:
        opts.importUrl ??
        (opts.mirror
          ? (this.mirrorSourceFor?.(path) ?? `https://bitbucket.org/workspace/${path.split("/").pop()}.git`)
          : undefined),
      mirrorState: {
        updateStatus: "none",
        lastError: null,
        lastUpdateAt: null,
        lastUpdateStartedAt: null,
        lastSuccessfulUpdateAt: null,
      },
    };
    this.state.projects.set(project.id, project);
    return project;
  }

  /** Revokes a token, as its owner would in GitLab's settings: it answers 401 from then on. */
  revokeToken(token: string): void {
    const record = this.state.tokens.get(token);
    if (!record) throw new Error("no such token");
    record.revoked = true;
  }

  addMember(project: SimProject, user: SimUser, accessLevel: AccessLevel): void {
    this.state.addMember(project, user, accessLevel);
  }

  /** A group (namespace) projects can be created in; a sub-group when the path has a parent that exists. */
  addGroup(path: string, opts: { name?: string; premium?: boolean } = {}): SimGroup {
    const parent = this.state.groupByPath(path.split("/").slice(0, -1).join("/"));
    const group: SimGroup = {
      id: this.state.namespaceId(path),
      name: opts.name ?? path.split("/").pop()!,
      path: path.split("/").pop()!,
      fullPath: path,
      parentId: parent?.id ?? null,
      premium: opts.premium ?? true,
    };
    this.state.groups.set(group.id, group);
    return group;
  }

  /** A role in a group, which also applies to the group's projects (the higher role wins). */
  addGroupMember(group: SimGroup, user: SimUser, accessLevel: AccessLevel): void {
    this.state.addGroupMember(group, user, accessLevel);
  }

  /** A project by its path (e.g. one the app created). */
  project(path: string): SimProject | undefined {
    return this.state.findProject(path);
  }

  /** Set by the test stack: asked about the import URL on every mirror update (see MirrorCredentialCheck). */
  set verifyMirrorCredentials(check: MirrorCredentialCheck | undefined) {
    this.state.verifyMirrorCredentials = check;
  }

  get verifyMirrorCredentials(): MirrorCredentialCheck | undefined {
    return this.state.verifyMirrorCredentials;
  }

  /** Plays a GitLab before 17.6, without PUT /projects/:id/mirror/pull. */
  set legacyMirrorApi(on: boolean) {
    this.state.legacyMirrorApi = on;
  }

  /** Whether users' personal namespaces have Premium (pull mirroring). */
  set personalNamespacesPremium(on: boolean) {
    this.state.personalPremium = on;
  }

  hooks(project: SimProject): SimHook[] {
    return this.state.projectHooks(project);
  }

  mirrorTriggers(project: SimProject): { at: number; outcome: MirrorOutcome }[] {
    return this.mirrors.history(project);
  }

  /** Status "created"; jobs "created", manual ones "manual" (and allowed to fail, like GitLab's). */
  createPipeline(project: SimProject, opts: pipelines.PipelineSpec): SimPipeline {
    return pipelines.createPipeline(this.state, project, opts);
  }

  setPipelineStatus(pipeline: SimPipeline, status: GitLabStatus): void {
    pipelines.setPipelineStatus(this.state, pipeline, status);
  }

  setJobStatus(job: SimJob, status: GitLabStatus): void {
    pipelines.setJobStatus(this.state, job, status);
  }

  retryJob(job: SimJob): SimJob {
    return pipelines.retryJob(this.state, job);
  }

  pipelineHookPayload(pipeline: SimPipeline, opts?: PayloadOptions): any {
    return pipelineHookPayload(this.state, pipeline, opts);
  }

  jobHookPayload(job: SimJob, opts?: PayloadOptions): any {
    return jobHookPayload(this.state, job, opts);
  }

  deliver(project: SimProject, kind: HookKind, payload: unknown, opts: DeliverOptions = {}): Promise<DeliveryResult[]> {
    return deliverToHooks(this.hooks(project), kind, payload, opts, {
      now: this.state.now,
      instanceUrl: this.url,
      timeoutMs: this.hookTimeoutMs,
      record: (d) => this.deliveries.push(d),
    });
  }

  /** A mirror update: GitLab clones the import URL (whose credentials must work), then runs what follows. */
  private async runMirrorUpdate(project: SimProject): Promise<void> {
    const problem = this.state.verifyMirrorCredentials?.(project.importUrl);
    if (problem) throw new Error(problem);
    await this.onMirrorUpdate?.(project);
  }

  injectFaults(fault: Fault, count = 1, route?: RegExp): void {
    this.faults.add(fault, count, route);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The injected faults calls have met so far, in order. */
  get firedFaults(): readonly FiredFault[] {
    return this.faults.fired;
  }
}

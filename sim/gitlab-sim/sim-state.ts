import type { GitLabRepos } from "../git-http/gitlab-git";
import type {
  AccessLevel,
  MirrorCredentialCheck,
  SimGroup,
  SimHook,
  SimJob,
  SimPipeline,
  SimProject,
  SimToken,
  SimUser,
} from "./types";

interface Membership {
  level: AccessLevel;
  createdAt: string;
}

/** Mirror settings GitLab keeps beside the project row (import_state and import_data). */
export interface MirrorSettings {
  onlyProtectedBranches: boolean | null;
  overwritesDivergedBranches: boolean;
  branchRegex: string | null;
  /** Consecutive failed updates; more than 14 and GitLab pauses ("hard fails") the mirror. */
  retryCount: number;
}

// GitLab ids are global per table. Distinct ranges make a test fail loudly when it confuses a
// pipeline id with a job id (the Job Hook's `commit.id` is a pipeline id).
const FIRST_ID = { user: 1, project: 100, hook: 1, pipeline: 1000, job: 5000, namespace: 10 };

/** Everything the simulated GitLab knows. Routes, payload builders and the facade share it. */
export class SimState {
  baseUrl = "";
  readonly startedAt: string;
  readonly users = new Map<number, SimUser>();
  readonly tokens = new Map<string, SimToken>();
  readonly projects = new Map<number, SimProject>();
  readonly hooks = new Map<number, SimHook>();
  readonly pipelines = new Map<number, SimPipeline>();
  readonly jobs = new Map<number, SimJob>();
  readonly mirrorSettings = new Map<number, MirrorSettings>();
  readonly groups = new Map<number, SimGroup>();
  private readonly groupMembers = new Map<number, Map<number, AccessLevel>>();
  /** Personal namespaces' plan: on Premium unless a test says otherwise. */
  personalPremium = true;
  /** A GitLab before 17.6: PUT /projects/:id/mirror/pull does not exist (404). */
  legacyMirrorApi = false;
  /** The projects' git repositories (set by the simulator at start). */
  repos?: GitLabRepos;
  /** Checks a mirror's import URL before each update (wired to the Bitbucket simulator by the test stack). */
  verifyMirrorCredentials?: MirrorCredentialCheck;
  private readonly members = new Map<number, Map<number, Membership>>();
  private readonly namespaces = new Map<string, number>();
  private readonly iids = new Map<number, number>();
  private readonly seq = { ...FIRST_ID };

  constructor(readonly now: () => number) {
    this.startedAt = new Date(now()).toISOString();
  }

  nextId(kind: keyof typeof FIRST_ID): number {
    return this.seq[kind]++;
  }

  nextIid(projectId: number): number {
    const iid = (this.iids.get(projectId) ?? 0) + 1;
    this.iids.set(projectId, iid);
    return iid;
  }

  namespaceId(fullPath: string): number {
    let id = this.namespaces.get(fullPath);
    if (id === undefined) {
      id = this.nextId("namespace");
      this.namespaces.set(fullPath, id);
    }
    return id;
  }

  /** `:id` in GitLab routes: a numeric id or the URL-decoded full path (matched case-insensitively). */
  findProject(ref: string): SimProject | undefined {
    if (/^\d+$/.test(ref)) return this.projects.get(Number(ref));
    const wanted = ref.toLowerCase();
    return [...this.projects.values()].find((p) => p.pathWithNamespace.toLowerCase() === wanted);
  }

  addMember(project: SimProject, user: SimUser, level: AccessLevel): void {
    const byUser = this.members.get(project.id) ?? new Map<number, Membership>();
    byUser.set(user.id, { level, createdAt: new Date(this.now()).toISOString() });
    this.members.set(project.id, byUser);
  }

  membership(project: SimProject, user: SimUser): Membership | undefined {
    return this.members.get(project.id)?.get(user.id);
  }

  /** 0 when the user is not a member, of the project or of a group it lives in. */
  accessLevel(project: SimProject, user: SimUser): number {
    const direct = this.membership(project, user)?.level ?? 0;
    const namespace = project.pathWithNamespace.split("/").slice(0, -1).join("/");
    return Math.max(direct, this.groupLevel(namespace, user));
  }

  addGroupMember(group: SimGroup, user: SimUser, level: AccessLevel): void {
    const byUser = this.groupMembers.get(group.id) ?? new Map<number, AccessLevel>();
    byUser.set(user.id, level);
    this.groupMembers.set(group.id, byUser);
  }

  /** The user's role in the group at `fullPath` or any group above it (the highest wins), or 0. */
  groupLevel(fullPath: string, user: SimUser): number {
    let level = 0;
    const parts = fullPath.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const group = this.groupByPath(parts.slice(0, i).join("/"));
      if (group) level = Math.max(level, this.groupMembers.get(group.id)?.get(user.id) ?? 0);
    }
    return level;
  }

  groupByPath(fullPath: string): SimGroup | undefined {
    const wanted = fullPath.toLowerCase();
    return [...this.groups.values()].find((g) => g.fullPath.toLowerCase() === wanted);
  }

  /** The personal namespace's id of a user (namespaces share one id sequence with groups). */
  userNamespaceId(user: SimUser): number {
    return this.namespaceId(user.username);
  }

  projectHooks(project: SimProject): SimHook[] {
    return [...this.hooks.values()].filter((h) => h.projectId === project.id);
  }

  projectOf(pipeline: SimPipeline): SimProject {
    const project = this.projects.get(pipeline.projectId);
    if (!project) throw new Error(`pipeline ${pipeline.id} belongs to no known project`);
    return project;
  }

  pipelineOf(job: SimJob): SimPipeline {
    const pipeline = this.pipelines.get(job.pipelineId);
    if (!pipeline) throw new Error(`job ${job.id} belongs to no known pipeline`);
    return pipeline;
  }

  mirror(project: SimProject): MirrorSettings {
    let settings = this.mirrorSettings.get(project.id);
    if (!settings) {
      settings = { onlyProtectedBranches: null, overwritesDivergedBranches: false, branchRegex: null, retryCount: 0 };
      this.mirrorSettings.set(project.id, settings);
    }
    return settings;
  }
}

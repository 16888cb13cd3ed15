// REST API representations (GitLab's Grape entities) of users, projects, hooks and mirrors.
import { hookAlertStatus } from "./hook-state";
import type { SimState } from "./sim-state";
import type { SimHook, SimProject, SimUser } from "./types";

const avatar = "https://www.gravatar.com/avatar/00000000000000000000000000000000?s=80&d=identicon";

export function userBasic(state: SimState, user: SimUser) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: "active",
    locked: false,
    avatar_url: avatar,
    web_url: `${state.baseUrl}/${user.username}`,
  };
}

/** GET /user (Entities::UserPublic, trimmed to the fields a client can rely on). */
export function currentUser(state: SimState, user: SimUser) {
  return {
    ...userBasic(state, user),
    created_at: state.startedAt,
    bio: "",
    public_email: null,
    email: `${user.username}@example.com`,
    commit_email: `${user.username}@example.com`,
    bot: false,
    is_admin: false,
    two_factor_enabled: false,
    external: false,
    private_profile: false,
    can_create_project: true,
  };
}

export function member(state: SimState, user: SimUser, accessLevel: number, createdAt: string) {
  return {
    ...userBasic(state, user),
    access_level: accessLevel,
    created_at: createdAt,
    created_by: null,
    expires_at: null,
    membership_state: "active",
  };
}

/** Gitlab::UrlSanitizer#masked_url: credentials become "*****", host and path stay. */
export function maskedUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.username) u.username = "*****";
    if (u.password) u.password = "*****";
    return u.toString();
  } catch {
    return url;
  }
}

/** The import_url column: the URL with its credentials moved out to import_data. */
export function sanitizedUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url;
  }
}

export function project(state: SimState, p: SimProject, viewer: SimUser, withAccess = true) {
  const segments = p.pathWithNamespace.split("/");
  const path = segments[segments.length - 1]!;
  const namespacePath = segments.slice(0, -1).join("/");
  const level = state.accessLevel(p, viewer);
  const maintainer = level >= 40;
  return {
    id: p.id,
    description: null,
    name: path,
    name_with_namespace: segments.join(" / "),
    path,
    path_with_namespace: p.pathWithNamespace,
    created_at: state.startedAt,
    default_branch: p.defaultBranch,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@${new URL(state.baseUrl).hostname}:${p.pathWithNamespace}.git`,
    http_url_to_repo: `${p.webUrl}.git`,
    web_url: p.webUrl,
    readme_url: null,
    avatar_url: null,
    forks_count: 0,
    star_count: 0,
    last_activity_at: state.startedAt,
    namespace: {
      id: state.namespaceId(namespacePath),
      name: segments[segments.length - 2],
      path: segments[segments.length - 2],
      kind: state.groupByPath(namespacePath) || namespacePath.includes("/") ? "group" : namespaceKind(state, namespacePath),
      full_path: namespacePath,
      parent_id: segments.length > 2 ? state.namespaceId(segments.slice(0, -2).join("/")) : null,
      avatar_url: null,
      web_url: `${state.baseUrl}/groups/${namespacePath}`,
    },
    visibility: p.visibility ?? "private",
    archived: false,
    empty_repo: false,
    ci_config_path: p.ciConfigPath ?? null,
    // Mirror settings are shown to maintainers only, and only where the licence has mirroring.
    ...(maintainer && {
      import_url: sanitizedUrl(p.importUrl),
      import_status: p.importStatus ?? (p.importUrl ? "finished" : "none"),
      import_error: p.importError ?? null,
    }),
    ...(maintainer &&
      p.premium && {
        mirror: p.mirror,
        mirror_trigger_builds: p.mirrorTriggerBuilds,
        only_mirror_protected_branches: state.mirror(p).onlyProtectedBranches,
        mirror_overwrites_diverged_branches: state.mirror(p).overwritesDivergedBranches,
      }),
    ...(withAccess && {
      permissions: { project_access: level ? { access_level: level, notification_level: 3 } : null, group_access: null },
    }),
  };
}

function namespaceKind(state: SimState, path: string): "user" | "group" {
  return [...state.users.values()].some((u) => u.username === path) ? "user" : "group";
}

export function hook(state: SimState, h: SimHook) {
  const { alertStatus, disabledUntil } = hookAlertStatus(h, state.now());
  return {
    id: h.id,
    url: h.url,
    name: "",
    description: "",
    project_id: h.projectId,
    created_at: h.createdAt,
    push_events: h.pushEvents,
    push_events_branch_filter: null,
    branch_filter_strategy: "wildcard",
    tag_push_events: false,
    merge_requests_events: false,
    repository_update_events: false,
    issues_events: false,
    confidential_issues_events: false,
    note_events: false,
    confidential_note_events: false,
    wiki_page_events: false,
    deployment_events: false,
    feature_flag_events: false,
    releases_events: false,
    milestone_events: false,
    emoji_events: false,
    resource_access_token_events: false,
    ...h.otherEvents,
    pipeline_events: h.pipelineEvents,
    job_events: h.jobEvents,
    enable_ssl_verification: h.enableSslVerification,
    alert_status: alertStatus,
    disabled_until: disabledUntil,
    url_variables: [],
    custom_webhook_template: null,
    custom_headers: [],
  };
}

export function pullMirror(state: SimState, p: SimProject) {
  const s = p.mirrorState;
  const settings = state.mirror(p);
  return {
    id: p.id,
    update_status: s.updateStatus,
    url: maskedUrl(p.importUrl),
    last_error: s.lastError,
    last_update_at: s.lastUpdateAt,
    last_update_started_at: s.lastUpdateStartedAt,
    last_successful_update_at: s.lastSuccessfulUpdateAt,
    enabled: p.mirror && p.premium,
    mirror_trigger_builds: p.mirrorTriggerBuilds,
    only_mirror_protected_branches: settings.onlyProtectedBranches,
    mirror_overwrites_diverged_branches: settings.overwritesDivergedBranches,
    mirror_branch_regex: settings.branchRegex,
  };
}

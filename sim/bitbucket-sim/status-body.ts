import type { SimRepo } from "./types";
import type { StoredStatus } from "./state";

export const BUILD_STATES = ["INPROGRESS", "SUCCESSFUL", "FAILED", "STOPPED"];

export interface StatusInput {
  key: string;
  state: string;
  name?: string;
  url?: string;
  description?: string;
  refname?: string;
}

export type ParsedStatus = { ok: true; value: StatusInput } | { ok: false; fields: Record<string, string[]> };

/**
 * Validates a commit status body like Bitbucket (Django-style field errors, e.g.
 * `{"fields": {"url": ["Enter a valid URL."]}, "message": "url: Enter a valid URL."}` seen in the wild).
 * Limits: key 40 (documented), name 255, url 450.
 */
export function parseStatusBody(body: unknown): ParsedStatus {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, fields: { body: ["Expected a JSON object."] } };
  }
  const input = body as Record<string, unknown>;
  const fields: Record<string, string[]> = {};
  const problem = (field: string, message: string) => (fields[field] ??= []).push(message);
  const text = (field: string, rule: { required?: boolean; max?: number } = {}): string | undefined => {
    const value = input[field];
    if (value === undefined || value === null) {
      if (rule.required) problem(field, "This field is required.");
      return undefined;
    }
    if (typeof value !== "string") return void problem(field, "Not a valid string.");
    if (rule.required && value === "") return void problem(field, "This field may not be blank.");
    if (rule.max !== undefined && value.length > rule.max) {
      problem(field, `Ensure this value has at most ${rule.max} characters (it has ${value.length}).`);
    }
    return value;
  };

  const key = text("key", { required: true, max: 40 });
  const state = text("state", { required: true });
  if (state !== undefined && !BUILD_STATES.includes(state)) problem("state", `"${state}" is not a valid choice.`);
  const name = text("name", { max: 255 });
  const url = text("url", { max: 450 });
  if (url !== undefined && !isDottedHttpUrl(url)) problem("url", "Enter a valid URL.");
  const description = text("description");
  const refname = text("refname");

  if (Object.keys(fields).length > 0 || key === undefined || state === undefined) return { ok: false, fields };
  return { ok: true, value: { key, state, name, url, description, refname } };
}

/** Bitbucket refuses hosts like `localhost` or `jenkins:8080`: the host needs a dot (an IPv4 address has three). */
function isDottedHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    const host = url.hostname;
    return (url.protocol === "http:" || url.protocol === "https:") && /^[^.]+(\.[^.]+)+$/.test(host);
  } catch {
    return false;
  }
}

export function fieldErrorMessage(fields: Record<string, string[]>): string {
  return Object.entries(fields)
    .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
    .join("\n");
}

/** The commitstatus object Bitbucket answers with (shape of a captured `repo:commit_status_created`). */
export function statusView(status: StoredStatus, repo: SimRepo, hosts: { web: string; api: string }): object {
  const repoApi = `${hosts.api}/2.0/repositories/${repo.fullName}`;
  const commitApi = `${repoApi}/commit/${status.sha}`;
  return {
    type: "build",
    uuid: status.uuid,
    key: status.key,
    state: status.state,
    name: status.name ?? null,
    url: status.url ?? null,
    description: status.description ?? null,
    refname: status.refname ?? null,
    created_on: status.createdOn,
    updated_on: status.updatedOn,
    links: {
      self: { href: `${commitApi}/statuses/build/${encodeURIComponent(status.key)}` },
      commit: { href: commitApi },
    },
    repository: {
      type: "repository",
      name: repo.slug,
      full_name: repo.fullName,
      uuid: repo.uuid,
      links: { self: { href: repoApi }, html: { href: `${hosts.web}/${repo.fullName}` } },
    },
    commit: { type: "commit", hash: status.sha, links: { self: { href: commitApi } } },
  };
}

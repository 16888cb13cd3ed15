import type { LinkEvent } from "../db/link-events";

/** One line of the settings page's Recent activity, in words a person reads like Bitbucket's own. */
export interface ActivityEntry {
  at: string;
  outcome: LinkEvent["outcome"] | "settings";
  /** Who did it, by the name Bitbucket gave (a push's actor), when known. */
  who: string | null;
  text: string;
  links: { text: string; href: string }[];
}

export interface Activity {
  entries: ActivityEntry[];
  /** Entries that changed nothing (a re-post Bitbucket already showed, reports with nothing to publish), left out. */
  folded: number;
}

export interface ActivityContext {
  projectId: number;
  /** The GitLab project's page, for pipeline links. */
  projectWebUrl: string;
  /** `{Bitbucket web base}/{workspace}/{repo}`, for commit links; null when unknown. */
  repositoryWebUrl: string | null;
}

interface AuditLike {
  at: string | number | Date;
  actor: string | null;
  action: string;
  summary: string;
}

const STATE_NAMES: Record<string, string> = {
  SUCCESSFUL: "Successful",
  FAILED: "Failed",
  INPROGRESS: "In progress",
  STOPPED: "Stopped",
};

const NO_OP = [
  /: Bitbucket already shows this$/,
  /^reports are off for this link$/,
  /has no reports to publish$/,
  /reports wait for it to finish$/,
  /^a newer pipeline's reports are already on /,
  /nothing to push$/,
];

// `[re-check: |catch-up (no hook came): ]pipeline #<id> <status> on <ref> @ <sha12>: posted <STATE key>, …`
const STATUS_SYNC = /^(re-check: |catch-up \(no hook came\): )?pipeline #(\d+) (\S+) on (.+?) @ ([0-9a-f]{7,40}): posted (.+)$/;

/**
 * The link's deliveries and audit trail as one readable list, newest first: internal status keys become
 * the names Bitbucket shows, commits and pipelines become links, and entries that changed nothing are
 * folded away (counted). Pure: no I/O.
 */
export function activity(events: LinkEvent[], audit: AuditLike[], ctx: ActivityContext, limit = 15): Activity {
  const entries: ActivityEntry[] = [];
  let folded = 0;
  for (const e of events) {
    if (e.outcome === "done" && NO_OP.some((re) => re.test(e.summary))) {
      folded++;
      continue;
    }
    entries.push(fromEvent(e, ctx));
  }
  for (const a of audit) {
    entries.push({
      at: new Date(a.at).toISOString(),
      outcome: "settings",
      who: personName(a.actor),
      text: a.summary,
      links: [],
    });
  }
  entries.sort((x, y) => Date.parse(y.at) - Date.parse(x.at));
  return { entries: entries.slice(0, limit), folded };
}

function fromEvent(e: LinkEvent, ctx: ActivityContext): ActivityEntry {
  const at = new Date(e.at).toISOString();
  const m = e.outcome === "done" ? STATUS_SYNC.exec(e.summary) : null;
  if (m) {
    const [, how, id, status, ref, sha, posted] = m as unknown as string[];
    const shown = posted!
      .split(", ")
      .map((part) => {
        const [state, key] = [part.slice(0, part.indexOf(" ")), part.slice(part.indexOf(" ") + 1)];
        return `${statusName(ctx.projectId, key)}: ${STATE_NAMES[state] ?? state}`;
      })
      .join(", ");
    const why = how?.startsWith("re-check") ? " (re-check)" : how ? " (catch-up: no webhook came)" : "";
    return {
      at,
      outcome: e.outcome,
      who: null,
      text: `Pipeline #${id} ${status} on ${ref}: Bitbucket now shows ${shown}${why}`,
      links: [
        ...(ctx.repositoryWebUrl ? [{ text: sha!.slice(0, 7), href: `${ctx.repositoryWebUrl}/commits/${sha}` }] : []),
        { text: `#${id}`, href: `${ctx.projectWebUrl.replace(/\/+$/, "")}/-/pipelines/${id}` },
      ],
    };
  }
  const pushed = /^(.+?) pushed\b/.exec(e.summary);
  return { at, outcome: e.outcome, who: pushed ? pushed[1]! : null, text: plainWords(e.summary, ctx.projectId), links: [] };
}

/** Status keys by the names Bitbucket shows, and no API words from before they were reworded. */
function plainWords(text: string, projectId: number): string {
  return text
    .replace(/gitlab:\d+:[^\s,;)]*[^\s,;):]/g, (key) => statusName(projectId, key))
    .replace(/ \((PUT mirror\/pull|import_url)\)/g, "")
    .replace(/^mirror update requested/, "GitLab asked to update the mirror");
}

/** `gitlab:<project>:<ref>` is the pipeline's status, `gitlab:<project>:<ref>:<job>` a job's. */
function statusName(projectId: number, key: string): string {
  const prefix = `gitlab:${projectId}:`;
  if (!key.startsWith(prefix)) return "Pipeline";
  const rest = key.slice(prefix.length);
  return rest.includes(":") ? `Job ${rest.slice(rest.indexOf(":") + 1)}` : "Pipeline";
}

/** A Bitbucket account id (`{uuid}`, 24 hex digits, or `557058:…`) is no name to show. */
const personName = (actor: string | null): string | null =>
  !actor || /^\{?[0-9a-f-]{36}\}?$/i.test(actor) || /^[0-9a-f]{24}$/i.test(actor) || /^\d+:[0-9a-f-]+$/i.test(actor)
    ? null
    : actor;

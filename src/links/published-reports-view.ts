import type { Link } from "../db/links";
import type { PublishedReports } from "../db/published-reports";

const KINDS = ["tests", "coverage", "quality", "security"] as const;

/**
 * What the settings page shows of Code Insights: whether the link publishes reports, and the reports it
 * last published on the default branch (those of the newest commit that has any), read from our own
 * record of them: Bitbucket is not asked.
 */
export async function publishedReports(
  deps: { published: Pick<PublishedReports, "latestOnRef"> },
  link: Link,
  ref: string | null,
) {
  const rows = ref ? await deps.published.latestOnRef(link.id, ref) : [];
  return {
    enabled: link.reports,
    ref,
    sha: rows[0]?.sha ?? null,
    published: rows.map((r) => ({
      // Report ids end in their kind (core/code-insights.ts reportId).
      kind: KINDS.find((k) => r.reportId.endsWith(`-${k}`)) ?? "other",
      reportId: r.reportId,
      result: r.result,
      annotations: r.annotations,
      pipelineId: r.pipelineId,
      publishedAt: new Date(r.publishedAt).toISOString(),
    })),
  };
}

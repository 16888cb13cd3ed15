import type { GitLabStatus, SimPipeline } from "./types";

// Gitlab::Ci::Status::* presenters for a pipeline: webhooks carry only the label as
// `detailed_status`; the REST API carries the whole object.
const PRESENTERS: Record<GitLabStatus, { text: string; label: string; icon: string; group: string }> = {
  created: { text: "created", label: "created", icon: "status_created", group: "created" },
  waiting_for_resource: { text: "waiting", label: "waiting for resource", icon: "status_pending", group: "waiting-for-resource" },
  preparing: { text: "preparing", label: "preparing", icon: "status_preparing", group: "preparing" },
  waiting_for_callback: { text: "waiting", label: "waiting for callback", icon: "status_pending", group: "waiting-for-callback" },
  pending: { text: "pending", label: "pending", icon: "status_pending", group: "pending" },
  running: { text: "running", label: "running", icon: "status_running", group: "running" },
  success: { text: "passed", label: "passed", icon: "status_success", group: "success" },
  failed: { text: "failed", label: "failed", icon: "status_failed", group: "failed" },
  canceling: { text: "canceling", label: "canceling", icon: "status_canceled", group: "canceling" },
  canceled: { text: "canceled", label: "canceled", icon: "status_canceled", group: "canceled" },
  skipped: { text: "skipped", label: "skipped", icon: "status_skipped", group: "skipped" },
  // A pipeline waiting on a manual job is "blocked"; one waiting on a delayed job is "delayed".
  manual: { text: "blocked", label: "waiting for manual action", icon: "status_manual", group: "manual" },
  scheduled: { text: "delayed", label: "waiting for delayed job", icon: "status_scheduled", group: "scheduled" },
};

// A successful pipeline with an allowed-to-fail job that failed is "passed with warnings".
const WARNING = { text: "warning", label: "passed with warnings", icon: "status_warning", group: "success-with-warnings" };

function presenter(pipeline: SimPipeline) {
  const warned = pipeline.jobs.some((j) => !j.retried && j.allowFailure && j.status === "failed");
  return pipeline.status === "success" && warned ? WARNING : PRESENTERS[pipeline.status];
}

export function detailedStatusLabel(pipeline: SimPipeline): string {
  return presenter(pipeline).label;
}

export function detailedStatus(pipeline: SimPipeline, projectPath: string) {
  const p = presenter(pipeline);
  return {
    icon: p.icon,
    text: p.text,
    label: p.label,
    group: p.group,
    tooltip: p.label,
    has_details: true,
    details_path: `/${projectPath}/-/pipelines/${pipeline.id}`,
    illustration: null,
    favicon: `/assets/ci_favicons/favicon_${p.icon}.png`,
  };
}

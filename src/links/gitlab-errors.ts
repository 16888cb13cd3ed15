import { AppError } from "../errors";
import { gitlabMessage, statusOf } from "../gitlab/gitlab-api";
import { hostRefused } from "../gitlab/host-policy";
import { answerRefused } from "../http/answer-refused";

export type Subject = "token" | "project";

/** Runs a GitLab call and turns its failure into what it means for the admin. */
export async function checked<T>(call: () => Promise<T>, subject: Subject): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toLinkError(e, subject);
  }
}

/** What GitLab's answer means for the admin, in the codes the settings API documents. */
export function toLinkError(e: unknown, subject: Subject): AppError {
  if (e instanceof AppError) return e; // refused before asking GitLab (e.g. a project path of "..")
  const host = hostRefused(e);
  if (host) return new AppError("invalid_request", 400, host.message, { fields: { gitlabUrl: host.message } });
  const refused = answerRefused(e);
  if (refused) return new AppError("gitlab_unreachable", 422, refused.message);
  const status = statusOf(e);
  if (status === undefined) return new AppError("gitlab_unreachable", 422, `Could not reach GitLab: ${gitlabMessage(e)}`);
  if (status === 401)
    return new AppError("gitlab_unauthorized", 422, "GitLab did not accept the token (expired, revoked or mistyped?)");
  if (status === 403 && subject === "token") {
    return new AppError("gitlab_unauthorized", 422, "The token lacks the api scope (or read_api at least)");
  }
  if (status === 404 || (status === 403 && subject === "project")) {
    return new AppError("gitlab_project_not_found", 422, "GitLab has no such project, or the token cannot see it");
  }
  return new AppError("gitlab_unreachable", 422, `GitLab answered ${status}: ${gitlabMessage(e)}`);
}

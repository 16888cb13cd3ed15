import { Agent, type Dispatcher } from "undici";
import { ANSWER_LIMITS } from "../http/answer-limits";
import { boundedAnswers } from "../http/bounded-answers";
import { guardedDispatcher } from "./guarded-dispatcher";

/**
 * What every gitbeaker call goes through, in every mode: answers capped and redirects refused
 * (bounded-answers.ts), and, in production, connections into the private network refused
 * (guarded-dispatcher.ts). Outside production the simulators live on loopback, so only the cap applies.
 */
export function gitlabDispatcher(opts: { allowPrivate: boolean; allowedHosts: string[]; timeoutMs: number }): Dispatcher {
  const base = opts.allowPrivate
    ? new Agent({ connect: { timeout: opts.timeoutMs } })
    : guardedDispatcher(opts.allowedHosts, opts.timeoutMs);
  return base.compose(boundedAnswers("GitLab", answerLimit));
}

/** Only the streamed test report (GitLabApi.failedTests) may be larger than a JSON answer. */
const TEST_REPORT = /\/api\/v4\/projects\/\d+\/pipelines\/\d+\/test_report(\?|$)/;
const answerLimit = (path: string) => (TEST_REPORT.test(path) ? ANSWER_LIMITS.testReport : ANSWER_LIMITS.json);

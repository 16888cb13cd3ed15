import { Agent } from "undici";
import { ANSWER_LIMITS } from "../http/answer-limits";
import { boundedAnswers } from "../http/bounded-answers";

/**
 * What every call to Bitbucket goes through: its answers capped and redirects refused, like GitLab's
 * (bounded-answers.ts). Bitbucket's hosts come only from allowed installs, but an answer is still never
 * allowed to become our memory.
 */
export const bitbucketDispatcher = new Agent().compose(boundedAnswers("Bitbucket", ANSWER_LIMITS.json));

export type RefusalReason = "too_large" | "redirect" | "encoded";

/**
 * We stopped reading a peer's answer on purpose: it was larger than we accept, a redirect (which would
 * carry our credentials to wherever it points), or compressed although we asked for it plain (its
 * decoded size could not be capped). Never worth retrying: the same call gets the same answer.
 */
export class AnswerRefused extends Error {
  readonly code = "EANSWERREFUSED";
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = "AnswerRefused";
  }
}

/** The refusal behind an error, however deep fetch wrapped it ("fetch failed", "terminated"). */
export function answerRefused(e: unknown): AnswerRefused | undefined {
  for (let cause = e, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    if (cause instanceof AnswerRefused) return cause;
  }
  return undefined;
}

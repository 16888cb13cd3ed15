import type { Dispatcher } from "undici";
import { AnswerRefused } from "./answer-refused";
import { inMegabytes } from "./answer-limits";

type Handlers = Dispatcher.DispatchHandlers;

/**
 * An undici interceptor for every call to a peer (`dispatcher.compose(boundedAnswers(…))`), so that no
 * answer can cost more than `maxBytes` of memory and no credential follows a redirect:
 * - the body is counted as it streams and the request is aborted the moment it passes `maxBytes` (or
 *   at once when Content-Length says it will), so the excess is never buffered;
 * - a 3xx is refused: fetch would follow it with our PRIVATE-TOKEN header to any origin it names;
 * - answers are asked for uncompressed, and a compressed one is refused: fetch would inflate it after
 *   this count, and a few MB of gzip can inflate to gigabytes.
 * `maxBytes` may depend on the request's path: the few answers read as a stream get a larger cap.
 * A refusal reaches the caller as an `AnswerRefused` (wrapped by fetch as the error's cause).
 */
export function boundedAnswers(
  peer: string,
  maxBytes: number | ((path: string) => number),
): Dispatcher.DispatcherComposeInterceptor {
  const limit = typeof maxBytes === "number" ? () => maxBytes : maxBytes;
  return (dispatch) => (opts, handler) =>
    dispatch({ ...opts, headers: plainEncoding(opts.headers) }, new BoundedAnswer(handler, peer, limit(opts.path)));
}

/** Passes everything on to fetch's (or request's) own handler, except what it refuses. */
class BoundedAnswer implements Handlers {
  private abort: (err?: Error) => void = () => undefined;
  private received = 0;

  constructor(
    private readonly handler: Handlers,
    private readonly peer: string,
    private readonly maxBytes: number,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    this.handler.onConnect?.(abort);
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    const header = (name: string) => headerValue(raw, name);
    if (status >= 300 && status < 400) {
      const to = (header("location") ?? "(no location)").slice(0, 200);
      return this.refuse("redirect", `${this.peer} answered with a redirect (${status}) to ${to}; use the final address`);
    }
    const encoding = header("content-encoding")?.trim().toLowerCase();
    if (encoding && encoding !== "identity")
      return this.refuse("encoded", `${this.peer} compressed its answer (${encoding.slice(0, 40)}) although asked not to`);
    if (Number(header("content-length") ?? 0) > this.maxBytes) return this.tooLarge();
    return this.handler.onHeaders?.(status, raw, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    this.received += chunk.length;
    if (this.received > this.maxBytes) return this.tooLarge();
    return this.handler.onData?.(chunk) ?? true;
  }

  onError(err: Error): void {
    this.handler.onError?.(err);
  }

  onComplete(trailers: string[] | null): void {
    this.handler.onComplete?.(trailers);
  }

  onUpgrade(...args: Parameters<NonNullable<Handlers["onUpgrade"]>>): void {
    this.handler.onUpgrade?.(...args);
  }

  onResponseStarted(): void {
    this.handler.onResponseStarted?.();
  }

  onBodySent(...args: Parameters<NonNullable<Handlers["onBodySent"]>>): void {
    this.handler.onBodySent?.(...args);
  }

  private tooLarge(): boolean {
    return this.refuse("too_large", `${this.peer}'s answer was larger than ${inMegabytes(this.maxBytes)}`);
  }

  private refuse(reason: AnswerRefused["reason"], message: string): boolean {
    this.abort(new AnswerRefused(reason, message));
    return false;
  }
}

function headerValue(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toString("latin1").toLowerCase() === name) return raw[i + 1]!.toString("latin1");
  }
  return undefined;
}

/** The request's headers with `accept-encoding: identity` in place of whatever the caller (fetch) set. */
function plainEncoding(headers: Dispatcher.DispatchOptions["headers"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string | string[] | undefined) => {
    if (value !== undefined && name.toLowerCase() !== "accept-encoding") out[name] = value;
  };
  if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i]!, headers[i + 1]!);
  else if (headers && typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function")
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) add(name, value);
  else if (headers) for (const [name, value] of Object.entries(headers)) add(name, value as string | string[] | undefined);
  out["accept-encoding"] = "identity";
  return out;
}

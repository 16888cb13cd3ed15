/**
 * What went wrong on the way to a peer, in plain words, from the error fetch (undici) or Node gave:
 * fetch itself says only "fetch failed", and the reason hides in its `cause` chain as an error code.
 * Returns null when the error is not a network failure (an HTTP answer, a bug).
 */
export function networkProblem(e: unknown, timeoutMs?: number): string | null {
  for (let cause = e, depth = 0; cause && depth < 6; cause = (cause as { cause?: unknown }).cause, depth++) {
    const said = describe(cause as NodeNetworkError, timeoutMs);
    if (said) return said;
  }
  return null;
}

interface NodeNetworkError {
  name?: string;
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  hostname?: string;
  /** Node's AggregateError, when every address of a name refused (IPv4 and IPv6). */
  errors?: NodeNetworkError[];
}

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);
const TIMEOUT_NAMES = new Set(["TimeoutError", "GitbeakerTimeoutError", "ConnectTimeoutError", "HeadersTimeoutError"]);
const CERT_CODE = /^(CERT_|UNABLE_TO_(VERIFY|GET)|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|ERR_TLS_CERT)/;

function describe(c: NodeNetworkError, timeoutMs?: number): string | null {
  if (typeof c !== "object" || c === null) return null;
  const code = typeof c.code === "string" ? c.code : "";
  const first = Array.isArray(c.errors) ? c.errors[0] : undefined;
  const address = c.address ?? first?.address;
  const port = c.port ?? first?.port;
  const at = address ? `${address}${port ? `:${port}` : ""}` : "";
  if (code === "ECONNREFUSED") return `connection refused${at ? ` at ${at}` : ""} (is GitLab running there?)`;
  if (code === "ENOTFOUND") return `name not found: ${c.hostname ?? "the GitLab host"} does not resolve (check the address)`;
  if (code === "EAI_AGAIN") return `name lookup failed for ${c.hostname ?? "the GitLab host"} (DNS did not answer; try again)`;
  if (code === "ECONNRESET") return "the connection was reset before GitLab answered";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `no route to ${at || "the GitLab host"}`;
  if (CERT_CODE.test(code)) return `TLS certificate problem: ${c.message ?? code} (${code})`;
  // gitbeaker turns fetch's timeout into its own error, "Query timeout was reached".
  if (TIMEOUT_CODES.has(code) || (c.name && TIMEOUT_NAMES.has(c.name)) || /^Query timeout was reached/.test(c.message ?? ""))
    return timeoutMs ? `timed out after ${seconds(timeoutMs)} s` : "timed out";
  return null;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1));

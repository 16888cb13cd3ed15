import http from "node:http";
import type { Duplex } from "node:stream";
import type { Config } from "../config";

/**
 * The HTTP server with limits fitted to a webhook receiver: a client that trickles its headers or its
 * body, or just holds a socket open, is cut off instead of holding a connection for minutes, and the
 * number of connections is capped. Node checks the two request timeouts only every
 * `connectionsCheckingInterval` (30 s by default), which would make a 10 s limit a 40 s one.
 */
export function createServer(limits: Config["server"], listener: http.RequestListener): http.Server {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    listener,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on("clientError", answerClientError);
  return server;
}

const ANSWERS: Record<string, [status: string, code: string, message: string]> = {
  HPE_HEADER_OVERFLOW: ["431 Request Header Fields Too Large", "headers_too_large", "Request line or headers too large"],
  ERR_HTTP_REQUEST_TIMEOUT: ["408 Request Timeout", "request_timeout", "The request took too long to arrive"],
};

// Requests Node's parser rejects (oversized URL or headers, malformed HTTP, too slow) get a JSON error too.
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) return void socket.destroy();
  const [status, code, message] = ANSWERS[err.code ?? ""] ?? ["400 Bad Request", "bad_request", "Malformed HTTP request"];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

import assert from "node:assert/strict";
import net from "node:net";
import { Stack } from "../support/stack";

/** A raw connection to the app: what it was sent back, and whether the app closed it. */
class RawClient {
  received = "";
  readonly closed: Promise<string>;
  private readonly socket: net.Socket;
  private trickle: NodeJS.Timeout | null = null;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect(Number(port), hostname);
    this.socket.on("data", (d) => (this.received += String(d)));
    this.socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => this.socket.on("close", () => resolve(this.received)));
    void this.closed.then(() => this.stopTrickle());
  }

  send(text: string): this {
    this.socket.write(text);
    return this;
  }

  /** Sends `piece` again and again, slowly, for as long as the connection stays open. */
  trickleForever(piece: string, everyMs = 50): this {
    this.trickle = setInterval(() => this.socket.write(piece), everyMs);
    return this;
  }

  close(): void {
    this.stopTrickle();
    this.socket.destroy();
  }

  private stopTrickle(): void {
    if (this.trickle) clearInterval(this.trickle);
  }
}

describe("slow and idle clients", function () {
  this.timeout(15_000);

  describe("with short timeouts", () => {
    let stack: Stack;
    before(async () => {
      stack = await Stack.start({
        worker: false,
        env: { HTTP_HEADERS_TIMEOUT_MS: "300", HTTP_REQUEST_TIMEOUT_MS: "600", HTTP_KEEP_ALIVE_TIMEOUT_MS: "300" },
      });
    });
    after(async () => stack.stop());

    it("a client that sends its headers one line at a time is cut off with a JSON 408", async () => {
      const client = new RawClient(stack.app.url)
        .send("GET /healthz HTTP/1.1\r\nHost: app\r\n")
        .trickleForever("X-Slow: yes\r\n");
      const answer = await client.closed;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /"code":"request_timeout"/);
    });

    it("a client that sends its body a byte at a time is cut off with a 408", async () => {
      const client = new RawClient(stack.app.url)
        .send("POST /installed HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        .trickleForever(" ");
      assert.match(await client.closed, /^HTTP\/1\.1 408 /);
    });

    it("a connection that never sends anything is closed", async () => {
      const client = new RawClient(stack.app.url);
      await client.closed;
    });

    it("an idle keep-alive connection is closed after the keep-alive timeout", async () => {
      const client = new RawClient(stack.app.url).send("GET /healthz HTTP/1.1\r\nHost: app\r\n\r\n");
      const answer = await client.closed;
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /keep-alive/i);
    });
  });

  describe("with a connection cap", () => {
    let stack: Stack;
    before(async () => (stack = await Stack.start({ worker: false, env: { HTTP_MAX_CONNECTIONS: "2" } })));
    after(async () => stack.stop());

    it("refuses connections beyond the cap, and takes new ones once others have gone", async () => {
      const held = [1, 2].map(() => new RawClient(stack.app.url).send("GET /healthz HTTP/1.1\r\nHost: app\r\n"));
      // Both held connections are accepted: each answers once it completes its request.
      const third = new RawClient(stack.app.url).send("GET /healthz HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n");
      assert.equal(await third.closed, "", "a connection over the cap is closed without an answer");
      for (const h of held) h.close();
      await Promise.all(held.map((h) => h.closed));

      const later = new RawClient(stack.app.url).send("GET /healthz HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n");
      assert.match(await later.closed, /^HTTP\/1\.1 200 /);
    });
  });
});

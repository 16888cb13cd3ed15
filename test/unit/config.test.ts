import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "../../src/config";

describe("configuration", () => {
  const key = Buffer.alloc(32, 7).toString("base64");

  it("defaults to SQLite in the data folder and generates a development key once", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cfg-"));
    const a = loadConfig({ DATA_DIR: dir });
    const b = loadConfig({ DATA_DIR: dir });
    assert.equal(a.databaseUrl, `sqlite:${path.join(dir, "app.sqlite")}`);
    assert.deepEqual(a.encryptionKeys[0], b.encryptionKeys[0]);
    assert.equal(Buffer.from(readFileSync(path.join(dir, "encryption.key"), "utf8").trim(), "base64").length, 32);
  });

  it("requires an encryption key in production and limits installs to bitbucket.org", () => {
    assert.throws(() => loadConfig({ NODE_ENV: "production", AC_LOCAL_BASE_URL: "https://ci.example.com" }), /ENCRYPTION_KEY/);
    const c = loadConfig({ NODE_ENV: "production", ENCRYPTION_KEY: key, AC_LOCAL_BASE_URL: "https://ci.example.com/" });
    assert.equal(c.baseUrl, "https://ci.example.com");
    assert.deepEqual(c.hostWhitelist, ["bitbucket.org"]);
    assert.equal(c.allowPrivateHosts, false);
  });

  describe("development mode is safe by construction", () => {
    const dev = (env: Record<string, string>) => loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), "cfg-")), ...env });

    it("with nothing set, runs in development mode on loopback only", () => {
      const c = dev({});
      assert.equal(c.env, "development");
      assert.equal(c.host, "127.0.0.1");
      assert.equal(c.exposedBecause, null);
      assert.equal(c.allowPrivateHosts, true);
    });

    it("stays in development mode on another loopback address or a loopback base URL", () => {
      const loopback: Record<string, string>[] = [
        { HOST: "localhost" },
        { HOST: "::1" },
        { HOST: "127.0.0.2" },
        { AC_LOCAL_BASE_URL: "https://localhost:3000" },
      ];
      for (const env of loopback) {
        assert.equal(dev(env).env, "development", JSON.stringify(env));
      }
    });

    it("applies production rules when it binds a non-loopback interface, whatever NODE_ENV says", () => {
      assert.throws(() => dev({ HOST: "0.0.0.0" }), /ENCRYPTION_KEY/);
      assert.throws(() => dev({ HOST: "0.0.0.0", ENCRYPTION_KEY: key }), /AC_LOCAL_BASE_URL/);
      const c = dev({
        HOST: "0.0.0.0",
        ENCRYPTION_KEY: key,
        NODE_ENV: "development",
        AC_LOCAL_BASE_URL: "https://ci.example.com",
      });
      assert.equal(c.env, "production");
      assert.equal(c.host, "0.0.0.0");
      assert.match(c.exposedBecause!, /HOST=0\.0\.0\.0/);
      assert.deepEqual(c.hostWhitelist, ["bitbucket.org"]);
      assert.equal(c.allowPrivateHosts, false);
    });

    it("applies production rules when its public address is a non-loopback https URL", () => {
      const c = dev({ AC_LOCAL_BASE_URL: "https://ci.example.com", ENCRYPTION_KEY: key });
      assert.equal(c.env, "production");
      assert.match(c.exposedBecause!, /https:\/\/ci\.example\.com/);
      assert.equal(c.host, undefined, "in production it listens on every interface unless HOST says otherwise");
    });

    it("NODE_ENV=production listens on every interface, or on HOST", () => {
      const prod = { NODE_ENV: "production", ENCRYPTION_KEY: key, AC_LOCAL_BASE_URL: "https://ci.example.com" };
      assert.equal(loadConfig(prod).host, undefined);
      assert.equal(loadConfig({ ...prod, HOST: "10.0.0.5" }).host, "10.0.0.5");
    });
  });

  it("bounds the server's connections by default, and never lets the request timeout undercut the headers timeout", () => {
    const c = loadConfig({ ENCRYPTION_KEY: key });
    assert.deepEqual(c.server, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 1_000,
    });
    const odd = loadConfig({ ENCRYPTION_KEY: key, HTTP_HEADERS_TIMEOUT_MS: "5000", HTTP_REQUEST_TIMEOUT_MS: "1000" });
    assert.equal(odd.server.requestTimeoutMs, 5000);
    assert.throws(() => loadConfig({ ENCRYPTION_KEY: key, HTTP_MAX_CONNECTIONS: "0" }), ConfigError);
  });

  it("refuses to start in production without a public HTTPS base URL, instead of advertising localhost", () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: "production", ENCRYPTION_KEY: key }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /AC_LOCAL_BASE_URL: is required in production/);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ NODE_ENV: "production", ENCRYPTION_KEY: key, AC_LOCAL_BASE_URL: "http://ci.example.com" }),
      /AC_LOCAL_BASE_URL: must be https/,
    );
  });

  it("names both missing production settings in one error", () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: "production" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /AC_LOCAL_BASE_URL/);
        assert.match(e.message, /ENCRYPTION_KEY/);
        return true;
      },
    );
  });

  it("still defaults the base URL to localhost outside production", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cfg-"));
    assert.equal(loadConfig({ DATA_DIR: dir, PORT: "4321" }).baseUrl, "http://localhost:4321");
  });

  it("lists every problem at once", () => {
    try {
      loadConfig({ PORT: "nope", DATABASE_URL: "mysql://x", ENCRYPTION_KEY: key });
      assert.fail("should throw");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /PORT/);
      assert.match(e.message, /DATABASE_URL/);
    }
  });

  it("refuses a key that is not 32 bytes", () => {
    assert.throws(() => loadConfig({ ENCRYPTION_KEY: Buffer.alloc(16).toString("base64") }), /32 bytes/);
  });

  it("turns the Forge edition on with FORGE_APP_ID, accepting a bare UUID for the app's ARI", () => {
    assert.equal(loadConfig({ ENCRYPTION_KEY: key }).forge, null);
    const c = loadConfig({ ENCRYPTION_KEY: key, FORGE_APP_ID: "00000000-0000-4000-8000-000000000000" });
    assert.equal(c.forge?.appId, "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000");
    assert.equal(c.forge?.environment, "PRODUCTION");
    assert.equal(c.forge?.jwksUrl, "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json");
    const ari = loadConfig({
      ENCRYPTION_KEY: key,
      FORGE_APP_ID: "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000",
    });
    assert.equal(ari.forge?.appId, c.forge?.appId);
    assert.throws(() => loadConfig({ ENCRYPTION_KEY: key, FORGE_APP_ID: "my-app" }), ConfigError);
  });

  it("logs readable lines in development and JSON lines in production and tests, unless LOG_FORMAT says otherwise", () => {
    const dir = () => mkdtempSync(path.join(tmpdir(), "cfg-"));
    assert.equal(loadConfig({ DATA_DIR: dir() }).logFormat, "pretty");
    assert.equal(loadConfig({ DATA_DIR: dir(), NODE_ENV: "development" }).logFormat, "pretty");
    assert.equal(loadConfig({ DATA_DIR: dir(), NODE_ENV: "test" }).logFormat, "json");
    const production = { NODE_ENV: "production", ENCRYPTION_KEY: key, AC_LOCAL_BASE_URL: "https://ci.example.com" };
    assert.equal(loadConfig(production).logFormat, "json");
    assert.equal(loadConfig({ ...production, LOG_FORMAT: "pretty" }).logFormat, "pretty");
    assert.equal(loadConfig({ DATA_DIR: dir(), LOG_FORMAT: "json" }).logFormat, "json");
  });

  it("judges a silent Forge installation gone after 3 days and erases it 30 days later, unless told otherwise", () => {
    const app = "00000000-0000-4000-8000-000000000000";
    const c = loadConfig({ ENCRYPTION_KEY: key, FORGE_APP_ID: app });
    assert.equal(c.forge?.goneAfterMs, 3 * 24 * 60 * 60_000);
    assert.equal(c.forge?.eraseAfterMs, 30 * 24 * 60 * 60_000);
    const told = loadConfig({ ENCRYPTION_KEY: key, FORGE_APP_ID: app, FORGE_GONE_AFTER_MS: "60000", FORGE_ERASE_AFTER_MS: "0" });
    assert.deepEqual([told.forge?.goneAfterMs, told.forge?.eraseAfterMs], [60_000, 0]);
    assert.throws(() => loadConfig({ ENCRYPTION_KEY: key, FORGE_APP_ID: app, FORGE_GONE_AFTER_MS: "soon" }), ConfigError);
  });
});

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
});

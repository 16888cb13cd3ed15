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
    assert.throws(() => loadConfig({ NODE_ENV: "production" }), ConfigError);
    const c = loadConfig({ NODE_ENV: "production", ENCRYPTION_KEY: key });
    assert.deepEqual(c.hostWhitelist, ["bitbucket.org"]);
    assert.equal(c.allowPrivateHosts, false);
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
});

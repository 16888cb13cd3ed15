import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SecretBox } from "../../src/security/secret-box";

describe("sealed secrets", () => {
  const key = randomBytes(32);

  it("open to what was sealed, and never contain it", () => {
    const box = new SecretBox([key]);
    const sealed = box.seal("glpat-very-secret");
    assert.ok(!sealed.includes("glpat"));
    assert.equal(box.open(sealed), "glpat-very-secret");
  });

  it("differ each time the same value is sealed", () => {
    const box = new SecretBox([key]);
    assert.notEqual(box.seal("x"), box.seal("x"));
  });

  it("refuse to open when tampered with", () => {
    const box = new SecretBox([key]);
    const parts = box.seal("secret").split(".");
    parts[4] = Buffer.from("SECRET").toString("base64url");
    assert.throws(() => box.open(parts.join(".")));
  });

  it("still open after a key rotation when the old key is kept as previous, and say they are stale", () => {
    const sealed = new SecretBox([key]).seal("secret");
    const rotated = new SecretBox([randomBytes(32), key]);
    assert.equal(rotated.open(sealed), "secret");
    assert.equal(rotated.isStale(sealed), true);
    assert.equal(rotated.isStale(rotated.seal("secret")), false);
  });

  it("do not open under an unrelated key", () => {
    const sealed = new SecretBox([key]).seal("secret");
    assert.throws(() => new SecretBox([randomBytes(32)]).open(sealed), /unknown key/);
  });
});

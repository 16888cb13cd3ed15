import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets at rest. Each value carries the id of the key that sealed it, so the key can
 * be rotated: new values use the current key, old ones still open with a previous key until re-sealed.
 * Format: `v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error("SecretBox needs at least one key");
    for (const key of keys) this.keys.set(keyId(key), key);
    this.currentKeyId = keyId(keys[0]!);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.currentKeyId)!, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return ["v1", this.currentKeyId, iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  open(sealed: string): string {
    const [version, kid, iv, tag, body] = sealed.split(".");
    if (version !== "v1" || !kid || iv === undefined || tag === undefined || body === undefined) {
      throw new Error("Not a sealed secret");
    }
    const key = this.keys.get(kid);
    if (!key) throw new Error(`Secret sealed with unknown key ${kid}`);
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  }

  /** Whether a value was sealed with a key other than the current one (and so needs re-sealing). */
  isStale(sealed: string): boolean {
    return sealed.split(".")[1] !== this.currentKeyId;
  }

  /** A sub-key for a purpose other than encryption (e.g. signing our own tokens), derived with HKDF. */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync("sha256", this.keys.get(this.currentKeyId)!, Buffer.alloc(0), purpose, 32));
  }
}

const keyId = (key: Buffer) => createHash("sha256").update(key).digest("hex").slice(0, 8);

import { randomBytes, randomUUID } from "node:crypto";

/** Bitbucket writes uuids with braces: `{6ae3c307-...}`. */
export const bracedUuid = (): string => `{${randomUUID()}}`;

export const randomSha = (): string => randomBytes(20).toString("hex");

/** Real shared secrets are opaque and at most 128 characters; use the upper end to catch truncating columns. */
export const randomSecret = (): string => randomBytes(96).toString("base64url");

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Bitbucket's timestamp style: `2021-07-28T21:48:00.992250+00:00`. */
export const bitbucketTime = (date = new Date()): string => date.toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");

/** `{abc}` and `{ABC}` and `abc` all name the same uuid. */
export function sameUuid(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^\{|\}$/g, "").toLowerCase();
  return strip(a) === strip(b);
}

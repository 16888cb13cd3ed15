/**
 * Git's messages with anything token-like taken out, before they are logged or shown: the secrets we
 * know (and their Basic-auth encodings), Authorization headers, credentials in URLs and GitLab tokens.
 */
export function scrubSecrets(text: string, secrets: string[] = []): string {
  let out = text;
  for (const secret of secrets.filter((s) => s.length >= 4)) out = out.split(secret).join("[redacted]");
  return out
    .replace(/(authorization:\s*)(basic|bearer|jwt)\s+\S+/gi, "$1$2 [redacted]")
    .replace(/(\/\/)[^/@\s:]*:[^/@\s]*@/g, "$1[redacted]@")
    .replace(/\bgl[a-z]{2,4}-[A-Za-z0-9_-]{8,}/g, "[redacted]");
}

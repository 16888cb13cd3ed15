import { parseDocument } from "yaml";

/** The inputs a CI file's header declares, by name, with their declared `type` ("string" when it names none). */
export type DeclaredInputs = ReadonlyMap<string, string>;

/** The header document is not valid YAML: the caller sends variables instead, and says so. */
export class CiHeaderError extends Error {}

// A document separator line, as YAML has it: `---` alone, or followed by blanks or a comment.
const SEPARATOR = /^---[ \t]*(?:#.*)?$/m;
// Blank and comment lines, then a `---` that only starts the first document (it separates nothing).
const LEADING_START = /^(?:[ \t]*(?:#.*)?\r?\n)*---[ \t]*(?:#.*)?(?:\r?\n|$)/;

/**
 * The header of a GitLab CI file: the first of two YAML documents, before the `---` that separates it
 * from the configuration. `spec: inputs` can only be there (GitLab reads a single document as the
 * configuration itself), so the rest is never parsed: its GitLab-only tags (`!reference`) and its size
 * are no concern here. Null when the file has no header.
 */
export function ciHeader(text: string): string | null {
  const body = text.replace(/^\uFEFF/, "").replace(LEADING_START, "");
  const separator = SEPARATOR.exec(body);
  return separator ? body.slice(0, separator.index) : null;
}

/** The inputs declared under `spec: inputs` in the file's header; none when it has no header or no inputs. */
export function ciHeaderInputs(text: string): DeclaredInputs {
  const header = ciHeader(text);
  if (header === null) return new Map();
  const doc = parseDocument(header, { uniqueKeys: false });
  if (doc.errors.length > 0) throw new CiHeaderError(doc.errors[0]!.message.split("\n")[0]!.slice(0, 200));
  // Aliases are expanded with YAML's own cap (100), so a "billion laughs" header fails instead of growing.
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new CiHeaderError((e as Error).message.slice(0, 200));
  }
  const inputs = objectAt(objectAt(value, "spec"), "inputs");
  const declared = new Map<string, string>();
  if (!inputs) return declared;
  for (const [name, spec] of Object.entries(inputs)) {
    const type = spec && typeof spec === "object" ? (spec as { type?: unknown }).type : undefined;
    declared.set(name, typeof type === "string" ? type : "string");
  }
  return declared;
}

function objectAt(value: unknown, key: string): Record<string, unknown> | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const inner = (value as Record<string, unknown>)[key];
  return inner && typeof inner === "object" && !Array.isArray(inner) ? (inner as Record<string, unknown>) : null;
}

import { parseAllDocuments } from "yaml";
import { badRequest, invalidParams } from "./api-helpers";
import type { SimProject } from "./types";
import type { BareRepo } from "../git-http/bare-repo";

export type SimInputs = Record<string, string | number | boolean | string[]>;

/** `inputs` as the API takes them: a hash of names to strings, numbers, booleans or arrays of strings. */
export function pipelineInputs(raw: unknown): SimInputs | undefined {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw invalidParams("inputs is invalid");
  for (const value of Object.values(raw)) {
    const scalar = ["string", "number", "boolean"].includes(typeof value);
    if (!scalar && !(Array.isArray(value) && value.every((v) => typeof v === "string"))) throw invalidParams("inputs is invalid");
  }
  return raw as SimInputs;
}

/**
 * Ci::CreatePipelineService with inputs: the top-level CI file of the pipeline's commit (the project's
 * `ci_config_path`, or `.gitlab-ci.yml`) is read as GitLab reads it, a stream of YAML documents whose
 * first, when there are two, is the header with `spec: inputs`. Given inputs it does not declare, or a
 * value not of the declared type, are refused with GitLab's words; a file the simulator cannot read (none,
 * or not YAML) is not judged here.
 */
export async function checkInputs(repo: BareRepo, project: SimProject, sha: string, inputs: SimInputs): Promise<void> {
  const path = project.ciConfigPath || ".gitlab-ci.yml";
  const text = await repo.git("cat-file", "blob", `${sha}:${path}`).catch(() => null);
  if (text === null) return;
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return;
  const header = docs.length === 2 ? (docs[0]!.toJS() as { spec?: { inputs?: Record<string, { type?: string } | null> } }) : null;
  const spec = header?.spec?.inputs ?? {};
  const errors: string[] = [];
  const unknown = Object.keys(inputs).filter((name) => !(name in spec));
  if (unknown.length > 0) errors.push(`unknown input arguments: ${unknown.join(", ")}`);
  for (const [name, declared] of Object.entries(spec)) {
    const value = inputs[name];
    const type = declared?.type ?? "string";
    if (value === undefined) {
      if (!declared || !("default" in declared)) errors.push(`\`${name}\` input: required value has not been provided`);
    } else if (type === "number" && typeof value !== "number") errors.push(`\`${name}\` input: provided value is not a number`);
    else if (type === "string" && typeof value !== "string") errors.push(`\`${name}\` input: provided value is not a string`);
  }
  if (errors.length > 0) throw badRequest({ base: [errors.join(", ")] });
}

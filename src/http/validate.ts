import type { z } from "zod";
import { badRequest } from "../errors";

/** Parses input with a schema, or throws a 400 naming each wrong field. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, message = "The request is not valid"): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join(".") || "(body)";
    fields[path] ??= issue.message;
  }
  throw badRequest(message, fields);
}

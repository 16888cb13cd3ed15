import { z } from "zod";
import { hasDotSegment } from "../gitlab/has-dot-segment";

/** The fields the settings APIs share, with the messages the pages put under each field. */
export const gitlabUrl = z.string().trim().min(1, "Enter the GitLab address").max(255);

export const gitlabToken = z
  .string()
  .trim()
  .min(8, "Paste a GitLab access token")
  .max(255)
  .regex(/^[\x21-\x7e]+$/, "The token has characters GitLab tokens never have");

export const gitlabProject = z.union([
  z.number().int().positive(),
  z
    .string()
    .trim()
    .min(1, "Pick a project")
    .max(255)
    .regex(/^[\w.-]+(\/[\w.-]+)*$/, "Use the project's path (group/project) or its numeric id")
    // "." and ".." would make gitbeaker's URL resolve to another API route (GET /projects/, GET /).
    .refine((path) => !hasDotSegment(path), "A project path has no '.' or '..' parts"),
]);

export const statusMode = z.enum(["pipeline", "jobs", "both"]).default("pipeline");

/** A project name GitLab accepts: letters, digits, "_", ".", "+", "-" and spaces, starting with a letter, digit or "_". */
export const projectName = z
  .string()
  .trim()
  .min(1, "Name the new project")
  .max(255)
  .regex(
    /^[\p{L}\p{N}_][\p{L}\p{N}_.+\- ]*$/u,
    "Use letters, digits, spaces, '_', '.', '+' or '-', starting with a letter or digit",
  );

export const asId = (p: string | number) => (typeof p === "string" && /^\d+$/.test(p) ? Number(p) : p);

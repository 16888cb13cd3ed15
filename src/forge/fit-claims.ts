import { z } from "zod";

const uuid = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/** A UUID as the rest of the app keeps them: lower case, in braces (FIT contexts carry them bare). */
export const braced = (id: string) => `{${id.replace(/^\{|\}$/g, "").toLowerCase()}}`;

// Loose where Forge may add fields (passthrough), strict on what we rely on.
const uuidString = z.string().regex(uuid);

export const fitClaims = z.object({
  app: z.object({
    installationId: z.string().min(1).max(200),
    apiBaseUrl: z.string().url().max(255),
    environment: z.object({ type: z.string().min(1).max(32) }).passthrough(),
    installation: z
      .object({ contexts: z.array(z.object({ workspaceId: uuidString.optional() }).passthrough()).min(1) })
      .passthrough(),
    module: z
      .object({ type: z.string().max(100).optional(), key: z.string().max(100).optional() })
      .passthrough()
      .optional(),
  }),
  context: z
    .object({
      workspaceId: uuidString.optional(),
      extension: z
        .object({
          type: z.string().max(100).optional(),
          repository: z.object({ uuid: uuidString }).passthrough().optional(),
        })
        .passthrough()
        .optional(),
    })
    .passthrough()
    .optional(),
  principal: z.string().max(128).optional(),
});

/** What a verified Forge Invocation Token tells us, already normalised. */
export interface Fit {
  installationId: string;
  /** `forge:<installationId>`: the key the app's rows carry for this installation. */
  installationKey: string;
  apiBaseUrl: string;
  /** The installation's workspace, braced. */
  workspaceUuid: string;
  environment: string;
  /** The module Forge says it invokes for (`app.module`), when the token names it. */
  module: { type: string | null; key: string | null };
  /** Present on UI calls (invokeRemote from a Custom UI page). */
  ui: { workspaceUuid: string | null; repoUuid: string | null; moduleType: string | null; principal: string } | null;
}

/** Forge installations' rows are keyed `forge:<installationId>`; Connect client keys never start so. */
export const FORGE_KEY_PREFIX = "forge:";

export function fitOf(claims: z.infer<typeof fitClaims>): Fit | null {
  const workspaceId = claims.app.installation.contexts.find((c) => c.workspaceId)?.workspaceId;
  if (!workspaceId) return null;
  const ctx = claims.context;
  return {
    installationId: claims.app.installationId,
    installationKey: FORGE_KEY_PREFIX + claims.app.installationId,
    apiBaseUrl: claims.app.apiBaseUrl.replace(/\/+$/, ""),
    workspaceUuid: braced(workspaceId),
    environment: claims.app.environment.type,
    module: { type: claims.app.module?.type ?? null, key: claims.app.module?.key ?? null },
    ui: ctx
      ? {
          workspaceUuid: ctx.workspaceId ? braced(ctx.workspaceId) : null,
          repoUuid: ctx.extension?.repository ? braced(ctx.extension.repository.uuid) : null,
          moduleType: ctx.extension?.type ?? null,
          principal: claims.principal ?? "",
        }
      : null,
  };
}

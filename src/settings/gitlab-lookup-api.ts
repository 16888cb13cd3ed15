import express, { type Request } from "express";
import { z } from "zod";
import type { Deps } from "../deps";
import { handle } from "../http/handle";
import { validate } from "../http/validate";
import { createMirrorProject } from "../links/create-project";
import { checkToken, resolveCredentials, type CredentialsInput } from "../links/gitlab-session";
import { linkView } from "../links/link-view";
import { listNamespaces } from "../links/namespace-picker";
import { repositoryUrl } from "../links/mirror-source";
import { findProjects, inspectProject } from "../links/project-picker";
import type { SettingsDoor } from "./grant";
import { asId, gitlabProject, gitlabToken, gitlabUrl, projectName, statusMode } from "./settings-fields";

const creds = { gitlabUrl: gitlabUrl.optional(), token: gitlabToken.optional() };
// The token travels in the body, never in a URL, so it stays out of access logs and browser history.
const checkBody = z.object(creds).strict();
const searchBody = z.object({ ...creds, search: z.string().trim().max(100).default("") }).strict();
const projectBody = z.object({ ...creds, project: gitlabProject }).strict();
const createBody = z
  .object({
    ...creds,
    namespaceId: z.number({ error: "Pick a namespace" }).int().positive("Pick a namespace"),
    projectName,
    statusMode,
    // "push": an empty project the app pushes to (any GitLab tier); "mirror" (the default): a pull mirror.
    sync: z.enum(["push", "mirror"]).optional(),
  })
  .strict();

/**
 * The settings page's look-ups in GitLab, under {prefix}/repositories/{repoUuid}: gitlab/check (the
 * token), gitlab/projects and gitlab/project (the picker), gitlab/namespaces and POST project (creating
 * the GitLab project for this repository).
 */
export function gitlabLookupApiRouter(deps: Deps, door: SettingsDoor) {
  const router = express.Router();
  const base = `${door.prefix}/repositories/:repoUuid`;
  const auth = door.repositoryAuth;
  // Who is asking first (auth, then json on each route): no body is parsed for a caller without a valid token.
  const json = express.json({ limit: "16kb" });
  const resolve = (req: Request, input: CredentialsInput) => resolveCredentials(deps, req.grant!.clientKey, input);

  router.post(
    `${base}/gitlab/check`,
    auth,
    json,
    handle(async (req, res) => {
      const credentials = await resolve(req, validate(checkBody, req.body));
      res.json({ ...(await checkToken(deps, credentials)), tokenSource: credentials.source });
    }),
  );
  router.post(
    `${base}/gitlab/projects`,
    auth,
    json,
    handle(async (req, res) => {
      const { search, ...input } = validate(searchBody, req.body);
      res.json(await findProjects(deps, await resolve(req, input), search));
    }),
  );
  router.post(
    `${base}/gitlab/project`,
    auth,
    json,
    handle(async (req, res) => {
      const { project, ...input } = validate(projectBody, req.body);
      const repository = await repositoryUrl(deps, req.grant!.clientKey, req.grant!.repoPath);
      res.json(await inspectProject(deps, await resolve(req, input), asId(project), repository));
    }),
  );
  router.post(
    `${base}/gitlab/namespaces`,
    auth,
    json,
    handle(async (req, res) => {
      const { search, ...input } = validate(searchBody, req.body);
      res.json(await listNamespaces(deps, await resolve(req, input), search));
    }),
  );
  router.post(
    `${base}/project`,
    auth,
    json,
    handle(async (req, res) => {
      const { namespaceId, projectName: name, statusMode: mode, sync, ...input } = validate(createBody, req.body);
      const grant = req.grant!;
      const result = await createMirrorProject(deps, {
        clientKey: grant.clientKey,
        repoUuid: grant.repoUuid,
        repoFullName: grant.repoPath,
        creds: await resolve(req, input),
        namespaceId,
        name,
        statusMode: mode,
        user: grant.user,
        sync,
      });
      // A push-sync project starts empty: createMirrorProject has queued its first sync.
      res.status(201).json({
        link: linkView(result.link),
        webhook: result.webhook,
        project: result.project,
        ...(result.warning && { warning: result.warning }),
      });
    }),
  );
  return router;
}

import { randomUUID } from "node:crypto";
import type autocannon from "autocannon";
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from "atlassian-jwt";
import type { LinkInfo, SetupInfo } from "../sims/protocol";

export type IntakeKind = "bitbucket" | "gitlab";

/** Intake traffic goes to this many linked repositories in turn. */
export const INTAKE_LINKS = 8;

const BITBUCKET_PATH = "/webhooks/bitbucket";

/**
 * The one request autocannon repeats, re-made before each send, for the first INTAKE_LINKS links in
 * turn: a repo:push with a Connect JWT signed for this request (iss = aud = clientKey, qsh over
 * `POST&/webhooks/bitbucket&`, exp as Bitbucket sets it) and a new X-Request-UUID; or a GitLab Pipeline
 * Hook with that link's token, a new Idempotency-Key, and the body of its finished pipeline.
 */
export function intakeRequest(kind: IntakeKind, info: SetupInfo): autocannon.Request {
  const links = info.links.slice(0, INTAKE_LINKS);
  let turn = 0;
  const next = (): LinkInfo => links[turn++ % links.length]!;
  if (kind === "bitbucket") {
    const qsh = createQueryStringHash(fromMethodAndUrl("POST", BITBUCKET_PATH), false);
    return {
      method: "POST",
      path: BITBUCKET_PATH,
      setupRequest: (req) => {
        const iat = Math.floor(Date.now() / 1000);
        const claims = { iss: info.clientKey, aud: info.clientKey, iat, exp: iat + 3600, qsh };
        req.body = next().pushBody;
        req.headers = {
          "content-type": "application/json",
          authorization: `JWT ${encodeSymmetric(claims, info.sharedSecret, SymmetricAlgorithm.HS256)}`,
          "user-agent": "Bitbucket-Webhooks/2.0",
          "x-event-key": "repo:push",
          "x-request-uuid": randomUUID(),
          "x-attempt-number": "1",
        };
        return req;
      },
    };
  }
  return {
    method: "POST",
    path: `/webhooks/gitlab/${links[0]!.linkId}`,
    setupRequest: (req) => {
      const link = next();
      req.path = `/webhooks/gitlab/${link.linkId}`;
      req.body = link.pipelineBody;
      req.headers = {
        "content-type": "application/json",
        "user-agent": "GitLab/17.6.0",
        "x-gitlab-event": "Pipeline Hook",
        "x-gitlab-token": link.webhookSecret,
        "idempotency-key": randomUUID(),
        "x-gitlab-event-uuid": randomUUID(),
      };
      return req;
    },
  };
}

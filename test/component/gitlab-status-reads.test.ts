import assert from "node:assert/strict";
import { GitLabApi, GitLabUnreachable, statusOf } from "../../src/gitlab/gitlab-api";
import { gitlabDispatcher } from "../../src/gitlab/gitlab-dispatcher";
import { answerRefused } from "../../src/http/answer-refused";
import { endlessJson, hostileServers } from "../support/hostile-server";

/**
 * The two reads every status makes (the pipeline, its jobs) go round gitbeaker for speed (issue 16): they
 * must keep every guard gitbeaker's path has.
 */
describe("GitLab reads on the status path", function () {
  this.timeout(20_000);
  const serve = hostileServers();
  const api = (url: string, beforeCall?: () => Promise<void>) =>
    new GitLabApi(
      url,
      "glpat-status-path",
      2_000,
      gitlabDispatcher({ allowPrivate: true, allowedHosts: [], timeoutMs: 2_000 }),
      undefined,
      beforeCall,
    );
  const json = (res: import("node:http").ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(200, { "Content-Type": "application/json", ...headers }).end(JSON.stringify(body));

  it("reads a pipeline with the token, and cuts its strings short", async () => {
    const gitlab = await serve((_req, res) =>
      json(res, { id: 7, status: "success", ref: "r".repeat(100_000), sha: "a".repeat(40) }),
    );
    const pipeline = await api(gitlab.url).pipeline(3, 7);
    assert.equal(pipeline.id, 7);
    assert.equal(pipeline.ref.length, 1_000);
    assert.equal(gitlab.requests[0]?.url, "/api/v4/projects/3/pipelines/7");
    assert.equal(gitlab.requests[0]?.headers["private-token"], "glpat-status-path");
  });

  it("reads every page of a pipeline's jobs, following GitLab's x-next-page, at most 10 pages", async () => {
    const gitlab = await serve((req, res) => {
      const page = Number(new URL(req.url!, "http://x").searchParams.get("page"));
      json(res, [{ id: page, name: `job ${page}` }], { "x-next-page": String(page + 1) });
    });
    const jobs = await api(gitlab.url).jobs(3, 7);
    assert.deepEqual(
      jobs.map((j) => j.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.match(gitlab.requests[0]!.url!, /^\/api\/v4\/projects\/3\/pipelines\/7\/jobs\?per_page=100&page=1$/);
  });

  it("gives GitLab's refusal with its status and message", async () => {
    const gitlab = await serve((_req, res) =>
      res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ message: "404 Pipeline Not Found" })),
    );
    const error = await api(gitlab.url)
      .pipeline(3, 7)
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.equal(statusOf(error), 404);
    assert.match(String((error as Error).message), /404 Pipeline Not Found/);
  });

  it("names a refused connection in plain words", async () => {
    const gitlab = await serve((_req, res) => json(res, {}));
    const url = gitlab.url;
    await gitlab.close();
    const error = await api(url)
      .pipeline(3, 7)
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(error instanceof GitLabUnreachable, String(error));
    assert.match(error.message, /connection refused at 127\.0\.0\.1:\d+/);
  });

  it("cuts off an endless answer and refuses a redirect, as for every GitLab call", async () => {
    const endless = await serve(endlessJson(64 * 2 ** 20).handler);
    const tooLarge = await api(endless.url)
      .pipeline(3, 7)
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(answerRefused(tooLarge), String(tooLarge));
    const redirecting = await serve((_req, res) => res.writeHead(302, { Location: "http://elsewhere.example/" }).end());
    const redirected = await api(redirecting.url)
      .jobs(3, 7)
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.match(String(answerRefused(redirected)?.message), /redirect \(302\)/);
  });

  it("asks the workspace's host policy first, and calls nothing when it refuses", async () => {
    const gitlab = await serve((_req, res) => json(res, { id: 7 }));
    const refuse = async () => {
      throw new Error("this workspace does not allow that GitLab");
    };
    await assert.rejects(api(gitlab.url, refuse).pipeline(3, 7), /does not allow/);
    await assert.rejects(api(gitlab.url, refuse).jobs(3, 7), /does not allow/);
    assert.equal(gitlab.requests.length, 0);
  });
});

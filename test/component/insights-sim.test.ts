import assert from "node:assert/strict";
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from "atlassian-jwt";
import { BitbucketSim, type SimRepo, type SimTenant } from "../../sim/bitbucket-sim";
import { type FakeConnectApp, startFakeConnectApp } from "../../sim/bitbucket-sim/fake-connect-app";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const REPORT = {
  title: "GitLab tests",
  details: "3 tests: 1 failed",
  report_type: "TEST",
  reporter: "GitLab CI",
  result: "FAILED",
  link: "https://gitlab.example.com/acme/widgets/-/pipelines/7/test_report",
  data: [
    { title: "Tests", type: "NUMBER", value: 3 },
    { title: "Duration", type: "DURATION", value: 1200 },
    { title: "Coverage", type: "PERCENTAGE", value: 81.25 },
    { title: "Pipeline", type: "LINK", value: { text: "#7", href: "https://gitlab.example.com/p/7" } },
    { title: "Flaky", type: "BOOLEAN", value: false },
    { title: "Finished", type: "DATE", value: 1_700_000_000_000 },
    { title: "Runner", type: "TEXT", value: "shared" },
  ],
};
const annotation = (i: number, extra: Record<string, unknown> = {}) => ({
  external_id: `test-${i}`,
  annotation_type: "BUG",
  summary: `case ${i}`,
  severity: "HIGH",
  result: "FAILED",
  path: "spec/a_spec.rb",
  line: 3,
  ...extra,
});

describe("the Bitbucket simulator's Code Insights validation (what Bitbucket documents or answers)", () => {
  let sim: BitbucketSim;
  let app: FakeConnectApp;
  let tenant: SimTenant;
  let repo: SimRepo;

  before(async () => {
    sim = await BitbucketSim.start();
    app = await startFakeConnectApp("gitlab-ci-for-bitbucket");
    ({ tenant } = await sim.install(app.url, { workspaceSlug: "acme-corp" }));
    repo = sim.addRepository(tenant, "widgets");
  });
  after(async () => {
    await sim.close();
    await app.close();
  });

  async function call(method: string, id: string, body: unknown, annotations = false) {
    const path = `/2.0/repositories/${repo.workspace.slug}/${repo.slug}/commit/${SHA}/reports/${id}${annotations ? "/annotations" : ""}`;
    const iat = Math.floor(Date.now() / 1000);
    const qsh = createQueryStringHash(fromMethodAndUrl(method, path), false, sim.apiBaseUrl);
    const token = encodeSymmetric(
      { iss: tenant.appKey, sub: tenant.clientKey, iat, exp: iat + 180, qsh },
      tenant.sharedSecret,
      SymmetricAlgorithm.HS256,
    );
    const res = await fetch(sim.apiBaseUrl + path, {
      method,
      headers: { authorization: `JWT ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it("accepts a report with every data type, and refuses each documented violation", async () => {
    assert.equal((await call("PUT", "ok", REPORT)).status, 200);
    const bad: Array<[string, unknown]> = [
      [
        "data may hold at most 10 items",
        { ...REPORT, data: Array.from({ length: 11 }, (_, i) => ({ title: `n${i}`, type: "NUMBER", value: i })) },
      ],
      ["report_type must be one of", { ...REPORT, report_type: "LINT" }],
      ["result must be PASSED, FAILED or PENDING", { ...REPORT, result: "BROKEN" }],
      ["each data item needs a title and a valid type", { ...REPORT, data: [{ title: "x", type: "MONEY", value: 1 }] }],
      ["a PERCENTAGE is 0 to 100", { ...REPORT, data: [{ title: "x", type: "PERCENTAGE", value: 101 }] }],
      ['the value of data item "x" is not a valid NUMBER', { ...REPORT, data: [{ title: "x", type: "NUMBER", value: "3" }] }],
      ['the value of data item "x" is not a valid LINK', { ...REPORT, data: [{ title: "x", type: "LINK", value: "https://a" }] }],
      ['the value of data item "x" is not a valid BOOLEAN', { ...REPORT, data: [{ title: "x", type: "BOOLEAN", value: "yes" }] }],
      ["The title field cannot contain more than 450 characters.", { ...REPORT, title: "t".repeat(451) }],
      ["The details field cannot contain more than 2000 characters.", { ...REPORT, details: "d".repeat(2001) }],
    ];
    for (const [message, body] of bad) {
      const res = await call("PUT", "bad", body);
      assert.equal(res.status, 400, message);
      assert.ok(res.body.error.message.startsWith(message), `${message} ≠ ${res.body.error.message}`);
    }
    assert.equal(sim.reports(SHA).filter((r) => r.id === "bad").length, 0, "nothing stored");
  });

  it("takes 1 to 100 annotations per request and at most 1,000 per report, with the documented enums", async () => {
    assert.equal((await call("PUT", "many", REPORT)).status, 200);
    const batch = (from: number, n = 100) => Array.from({ length: n }, (_, i) => annotation(from + i));
    assert.equal((await call("POST", "many", [], true)).status, 400, "none");
    assert.equal((await call("POST", "many", batch(0, 101), true)).status, 400, "101 in one request");
    for (let i = 0; i < 1000; i += 100) assert.equal((await call("POST", "many", batch(i), true)).status, 200);
    const over = await call("POST", "many", [annotation(1000)], true);
    assert.equal(over.status, 400);
    assert.equal(over.body.error.message, "A report can have at most 1000 annotations");
    assert.equal(
      (await call("POST", "many", [annotation(5, { summary: "again" })], true)).status,
      200,
      "replacing one is no more",
    );

    const bad: Array<[string, Record<string, unknown>]> = [
      ["annotation_type must be", { annotation_type: "TYPO" }],
      ["severity must be", { severity: "BLOCKER" }],
      ["result must be PASSED, FAILED, SKIPPED or IGNORED", { result: "ERROR" }],
      ["line must be a positive integer", { line: 0 }],
      ["summary is required", { summary: "" }],
      ["The summary field cannot contain more than 450 characters.", { summary: "s".repeat(451) }],
      ["The details field cannot contain more than 2000 characters.", { details: "d".repeat(2001) }],
      ["external_id is required", { external_id: undefined }],
    ];
    assert.equal((await call("PUT", "few", REPORT)).status, 200);
    for (const [message, extra] of bad) {
      const res = await call("POST", "few", [annotation(1, extra)], true);
      assert.equal(res.status, 400, message);
      assert.ok(res.body.error.message.startsWith(message), `${message} ≠ ${res.body.error.message}`);
    }
    assert.deepEqual(sim.reports(SHA).find((r) => r.id === "few")!.annotations, [], "nothing stored");
  });
});

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ProcessorBuilder, ValidationTypes, type ManifestSchema } from "@forge/manifest";
import { FORGE_ROUTE_MODULES } from "../../src/forge/forge-router";

// Atlassian's own manifest validators, run offline: the checks `forge lint` and `forge deploy` make.
const MANIFEST = path.resolve(__dirname, "../../forge/manifest.yml");
const STATIC = path.resolve(__dirname, "../../forge/static");
const CHECKS = [ValidationTypes.FULL, ValidationTypes.PRODUCT_TRIGGER, ValidationTypes.FORGE_REMOTE_COMPUTE];
const BASE_URL_VARIABLE = "FORGE_REMOTE_BASE_URL";

/** Every error and warning of the three validators, as "check: message". */
async function problems(file: string): Promise<string[]> {
  const found: string[] = [];
  for (const check of CHECKS) {
    const result = await ProcessorBuilder.instance().withValidation(check).build().process(file);
    for (const e of result.errors ?? []) found.push(`${check}: ${e.message}`);
    if (!result.success && !result.errors?.length) found.push(`${check}: failed without a message`);
  }
  return found;
}

async function parsed(): Promise<ManifestSchema> {
  const result = await ProcessorBuilder.instance().withValidation(ValidationTypes.FULL).build().process(MANIFEST);
  return result.manifestObject!.typedContent as ManifestSchema;
}

describe("the Forge app's manifest", function () {
  // Atlassian's schema is some 80,000 lines, compiled once per validator: slow on a busy machine.
  this.timeout(180_000);
  let previousBaseUrl: string | undefined;
  let dir: string;

  before(() => {
    if (!existsSync(path.join(STATIC, "settings", "index.html")))
      throw new Error("forge/static is not built: run `npm run build:forge` (npm test does it first)");
  });
  beforeEach(async () => {
    // The remote's baseUrl is a deployment value read from the environment, as the Forge CLI reads it.
    previousBaseUrl = process.env[BASE_URL_VARIABLE];
    process.env[BASE_URL_VARIABLE] = "https://gl4bb.example.com";
    dir = await mkdtemp(path.join(os.tmpdir(), "forge-manifest-"));
  });
  afterEach(async () => {
    if (previousBaseUrl === undefined) delete process.env[BASE_URL_VARIABLE];
    else process.env[BASE_URL_VARIABLE] = previousBaseUrl;
    await rm(dir, { recursive: true, force: true });
  });

  /** A copy of the manifest beside the real built UI, with `from` replaced by `to` (which must occur). */
  async function brokenCopy(from: string | RegExp, to: string): Promise<string> {
    const text = await readFile(MANIFEST, "utf8");
    const broken = text.replace(from, to);
    assert.notEqual(broken, text, `the manifest no longer contains ${from}`);
    await symlink(STATIC, path.join(dir, "static"));
    await writeFile(path.join(dir, "manifest.yml"), broken);
    return path.join(dir, "manifest.yml");
  }

  it("passes Atlassian's full, product-trigger and Forge Remote validators without an error or a warning", async () => {
    assert.deepEqual(await problems(MANIFEST), []);
  });

  it("would be refused if the push trigger lost its read:repository:bitbucket scope", async () => {
    const file = await brokenCopy(/^\s*- read:repository:bitbucket\n/m, "\n");
    const found = await problems(file);
    assert.ok(
      found.some((p) => p.startsWith("product-trigger") && p.includes("read:repository:bitbucket")),
      found.join("\n"),
    );
  });

  it("would be refused if the Custom UI had not been built", async () => {
    const file = path.join(dir, "manifest.yml");
    await writeFile(file, await readFile(MANIFEST, "utf8")); // beside it, no static/ folder
    const found = await problems(file);
    assert.ok(
      found.some((p) => p.includes("static/settings")),
      found.join("\n"),
    );
  });

  it("cannot be deployed without the backend's address in FORGE_REMOTE_BASE_URL", async () => {
    delete process.env[BASE_URL_VARIABLE];
    const found = await problems(MANIFEST);
    assert.ok(
      found.some((p) => p.includes(BASE_URL_VARIABLE)),
      found.join("\n"),
    );
  });

  it("sends every trigger and page to the backend's /forge routes with the app system token", async () => {
    const m = await parsed();
    const endpoints = new Map(m.modules!.endpoint!.map((e) => [e.key, e]));
    for (const e of endpoints.values()) {
      assert.equal("remote" in e && e.remote, "backend", e.key);
      assert.equal(e.auth?.appSystemToken?.enabled, true, e.key);
    }
    const routeOf = (endpointKey: string) => endpoints.get(endpointKey)?.route?.path;
    const triggers = m.modules!.trigger!.map((t) => ({ events: t.events, path: routeOf((t as { endpoint: string }).endpoint) }));
    assert.deepEqual(triggers, [
      { events: ["avi:bitbucket:push:repository"], path: "/forge/events/push" },
      {
        events: [
          "avi:bitbucket:created:pullrequest",
          "avi:bitbucket:updated:pullrequest",
          "avi:bitbucket:fulfilled:pullrequest",
          "avi:bitbucket:rejected:pullrequest",
        ],
        path: "/forge/events/pullrequest",
      },
      { events: ["avi:forge:installed:app", "avi:forge:upgraded:app"], path: "/forge/lifecycle" },
    ]);
    const [tick] = m.modules!.scheduledTrigger!;
    assert.deepEqual(
      { interval: tick.interval, path: routeOf((tick as { endpoint: string }).endpoint) },
      { interval: "hour", path: "/forge/tick" },
    );
    const [preUninstall] = (m.modules as unknown as Record<string, { endpoint: string }[]>).preUninstall;
    assert.equal(routeOf(preUninstall.endpoint), "/forge/uninstalling", "the pre-uninstall hint");
    assert.deepEqual(
      m.remotes!.map((r) => [r.key, r.baseUrl, r.operations]),
      [["backend", "https://gl4bb.example.com", ["compute", "storage"]]],
    );
  });

  it("names, for each event route, exactly the module keys the backend accepts in an event token", async () => {
    const m = await parsed();
    const modules = m.modules as unknown as Record<string, { key: string; endpoint?: string; route?: { path: string } }[]>;
    const routes: Record<string, string[]> = {};
    for (const e of modules.endpoint!) if (e.route) routes[e.route.path] = [e.key];
    const pathOf = new Map(modules.endpoint!.map((e) => [e.key, e.route?.path]));
    for (const [type, list] of Object.entries(modules)) {
      if (type === "endpoint") continue;
      for (const mod of list) {
        const path = mod.endpoint ? pathOf.get(mod.endpoint) : undefined;
        if (path) routes[path]!.push(mod.key);
      }
    }
    const expected = Object.fromEntries(Object.entries(FORGE_ROUTE_MODULES).map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(Object.fromEntries(Object.entries(routes).map(([k, v]) => [k, v.sort()])), expected);
  });

  it("asks for exactly the three scopes the README justifies (a new scope makes every workspace consent again)", async () => {
    const m = await parsed();
    assert.deepEqual(m.permissions?.scopes, ["read:app-system-token", "read:repository:bitbucket", "read:pullrequest:bitbucket"]);
  });
});

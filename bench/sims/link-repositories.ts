import { randomSha } from "../../sim/bitbucket-sim/ids";
import { pushPayload } from "../../sim/bitbucket-sim/payloads";
import type { SimRepo, SimTenant } from "../../sim/bitbucket-sim";
import type { HookTarget } from "./paced-run";
import type { LinkInfo, SetupInfo } from "./protocol";
import type { SimWorld } from "./sim-world";

/**
 * What test/support/stack.ts's `linkedRepository` does, against an app in another process and for
 * `count` repositories: Bitbucket installs the app into one workspace; for each repository an admin
 * opens the settings page and links it to its own GitLab project with its own Maintainer's token, so the
 * app registers its GitLab hook. All of it signed for real.
 *
 * Many links, not one: the app's GitLab client (gitbeaker) queues calls past 3,000 a minute per host and
 * token, and GitLab.com allows 2,000 a minute per user, so 200 events/s only exist spread over many
 * projects and tokens, as they would be in production.
 */
export async function linkRepositories(
  world: SimWorld,
  appUrl: string,
  count: number,
  workspaceSlug = "acme-corp",
): Promise<{ info: SetupInfo; targets: HookTarget[] }> {
  const installed = await world.bitbucket.install(appUrl, { workspaceSlug });
  if (installed.status !== 204) throw new Error(`install failed: ${installed.status} ${installed.body}`);
  const tenant = installed.tenant;
  const links: LinkInfo[] = [];
  const targets: HookTarget[] = [];
  for (let i = 0; i < count; i++) {
    const { link, target } = await linkOne(world, appUrl, tenant, `${workspaceSlug}-widgets-${i}`);
    links.push(link);
    targets.push(target);
  }
  return { info: { clientKey: tenant.clientKey, sharedSecret: tenant.sharedSecret, links }, targets };
}

async function linkOne(
  world: SimWorld,
  appUrl: string,
  tenant: SimTenant,
  slug: string,
): Promise<{ link: LinkInfo; target: HookTarget }> {
  const { bitbucket, gitlab } = world;
  const repo = bitbucket.addRepository(tenant, slug);
  const user = gitlab.addUser(`dev-${slug}`);
  const gitlabToken = gitlab.addToken(user);
  const project = gitlab.addProject(`acme/${slug}`, { mirror: true, importUrl: bitbucket.cloneUrlOf(slug) });
  gitlab.addMember(project, user, 40);

  const page = await fetch(bitbucket.pageUrl(tenant, repo));
  const html = await page.text();
  const settingsToken = /<meta name="token" content="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || !settingsToken) throw new Error(`settings page failed: ${page.status} ${html.slice(0, 200)}`);
  const res = await fetch(`${appUrl}/api/repositories/${encodeURIComponent(repo.uuid)}/link`, {
    method: "PUT",
    headers: { Authorization: `JWT ${settingsToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      gitlabUrl: gitlab.url,
      project: project.pathWithNamespace,
      token: gitlabToken,
      statusMode: "pipeline",
    }),
  });
  const linked = (await res.json()) as { webhook?: { url: string; registered: boolean } };
  const hook = gitlab.hooks(project)[0];
  const linkId = /\/webhooks\/gitlab\/([^/?]+)$/.exec(linked.webhook?.url ?? "")?.[1];
  if (res.status !== 200 || !linked.webhook?.registered || !hook?.token || !linkId) {
    throw new Error(`link failed: ${res.status} ${JSON.stringify(linked)}`);
  }

  // Intake traffic names a real, finished pipeline per link: its deliveries succeed, and its rows fold
  // together (one per commit and ref), so what runs behind intake is bounded and realistic.
  const pipeline = gitlab.createPipeline(project, { sha: randomSha(), ref: "main" });
  gitlab.setPipelineStatus(pipeline, "success");
  return {
    link: {
      repoUuid: repo.uuid,
      linkId,
      webhookSecret: hook.token,
      pushBody: JSON.stringify(pushBody(world, tenant, repo)),
      pipelineBody: JSON.stringify(gitlab.pipelineHookPayload(pipeline)),
    },
    target: { project, url: linked.webhook.url, token: hook.token },
  };
}

const pushBody = (world: SimWorld, tenant: SimTenant, repo: SimRepo): unknown =>
  pushPayload(
    { hosts: { web: world.bitbucket.baseUrl, api: world.bitbucket.apiBaseUrl }, workspace: tenant.workspace, repo },
    { refType: "branch", kind: "updated", name: "main", sha: randomSha(), previous: randomSha() },
  );

/** Bitbucket refuses a status whose `url` is longer than this; no page of ours needs longer either. */
const MAX_URL = 450;

/**
 * A GitLab page's address as we keep it, show it as a link and post it to Bitbucket: GitLab's own
 * `web_url` when it is an http(s) URL on the link's GitLab origin, else `fallback`. GitLab supplies
 * these URLs, so a hostile or misconfigured one could hand us `javascript:` (run in the settings page
 * when clicked) or any other site, and Bitbucket refuses a status with a URL it does not like, which
 * would kill the delivery.
 */
export function gitlabWebUrl(webUrl: unknown, gitlabUrl: string, fallback: string): string {
  if (typeof webUrl !== "string" || webUrl.length > MAX_URL) return fallback;
  try {
    const url = new URL(webUrl);
    const home = new URL(gitlabUrl);
    if ((url.protocol === "https:" || url.protocol === "http:") && url.origin === home.origin && !url.username && !url.password)
      return url.href;
  } catch {
    // not a URL at all
  }
  return fallback;
}

/**
 * The address of a page we know the shape of, built from the link's GitLab URL (checked when it was
 * saved) and the project path: `gitlabPage(url, "group/app", "-/pipelines/12")`.
 */
export function gitlabPage(gitlabUrl: string, projectPath: string, ...rest: string[]): string {
  const segments = [...projectPath.split("/"), ...rest.flatMap((r) => r.split("/"))];
  return [gitlabUrl.replace(/\/+$/, ""), ...segments.filter(Boolean).map(encodeURIComponent)].join("/");
}

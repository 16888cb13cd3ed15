import { appUrl } from "./sign-token";

/** Reading the app descriptor the way Bitbucket does: every URL comes from it, resolved against its baseUrl. */

export function checkDescriptor(descriptor: any, fetchedFrom: string): void {
  const missing = ["key", "baseUrl", "lifecycle.installed"].filter(
    (field) => field.split(".").reduce((v: any, k) => v?.[k], descriptor) === undefined,
  );
  if (missing.length) throw new Error(`descriptor at ${fetchedFrom} lacks ${missing.join(", ")}`);
  if (descriptor.authentication?.type !== "jwt") throw new Error(`descriptor at ${fetchedFrom} does not use jwt authentication`);
}

export function lifecycleUrl(descriptor: any, event: "installed" | "uninstalled"): string | undefined {
  const url = descriptor.lifecycle?.[event];
  return url ? appUrl(descriptor.baseUrl, url) : undefined;
}

/** The webhook module subscribed to `event` (or to every event with `*`). */
export function webhookUrl(descriptor: any, event: string): string | undefined {
  const hooks: { event: string; url: string }[] = descriptor.modules?.webhooks ?? [];
  const hook = hooks.find((h) => h.event === event) ?? hooks.find((h) => h.event === "*");
  return hook ? appUrl(descriptor.baseUrl, hook.url) : undefined;
}

/** A page module by key, from any module list; without a key, the first admin page. */
export function pageModule(descriptor: any, moduleKey?: string): { key: string; url: string } {
  const modules: Record<string, unknown> = descriptor.modules ?? {};
  const candidates = moduleKey
    ? Object.values(modules).flatMap((list) => (Array.isArray(list) ? list : []))
    : ((modules.adminPages as unknown[]) ?? []);
  const page = candidates.find((m: any) => typeof m?.url === "string" && (!moduleKey || m.key === moduleKey)) as any;
  if (!page) throw new Error(`descriptor has no page module ${moduleKey ?? "under adminPages"}`);
  return page;
}

/** Substitutes Connect context variables (`{repository.uuid}`) with URL-encoded values. */
export function expandContext(template: string, context: Record<string, string>): string {
  return template.replace(/\{([\w.]+)\}/g, (_m, name: string) => {
    if (!(name in context)) throw new Error(`the simulator does not know the context variable {${name}}`);
    return encodeURIComponent(context[name]);
  });
}

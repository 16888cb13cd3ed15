// GitLab renders times three ways: the REST API and newer webhooks use Rails' `iso8601(3)`
// ("2016-08-12T15:23:28.123Z"); the `*_iso` fields of job hooks drop the milliseconds; older webhook
// payloads went through Sidekiq's JSON and arrive as Ruby's `Time#to_s` ("2016-08-12 15:23:28 UTC").

export type TimestampStyle = "iso" | "legacy";

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoSeconds(value: string | undefined | null): string | null {
  return value ? new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z") : null;
}

export function legacy(value: string | undefined | null): string | null {
  if (!value) return null;
  const s = new Date(value).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)} UTC`;
}

export function stamp(value: string | undefined | null, style: TimestampStyle): string | null {
  if (!value) return null;
  return style === "iso" ? iso(Date.parse(value)) : legacy(value);
}

/** Seconds between two stored timestamps (float), or null when either is missing. */
export function seconds(from: string | undefined | null, to: string | undefined | null): number | null {
  if (!from || !to) return null;
  return (Date.parse(to) - Date.parse(from)) / 1000;
}

/** Credentials for one remote: sent only to URLs under `url`, as HTTP Basic. */
export interface GitCredential {
  url: string;
  user: string;
  password: string;
}

/**
 * The environment for one git command. Credentials travel as `http.<url>.extraHeader` through
 * GIT_CONFIG_COUNT/KEY/VALUE, so they are in no process's argv, no URL and no file (`.git/config` included),
 * and git sends them to that URL only. Redirects are not followed (a redirect could carry the header
 * elsewhere), no prompt is shown, and no credential helper or user/system config is consulted.
 */
export function gitEnv(credentials: GitCredential[] = []): NodeJS.ProcessEnv {
  const config: [string, string][] = [
    ["credential.helper", ""],
    ["http.followRedirects", "false"],
    ["core.askPass", ""],
    ["protocol.allow", "never"],
    ["protocol.https.allow", "always"],
    ["protocol.http.allow", "always"],
    ...credentials.map((c): [string, string] => [
      `http.${c.url}.extraHeader`,
      `Authorization: Basic ${Buffer.from(`${c.user}:${c.password}`).toString("base64")}`,
    ]),
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Forge, as a Forge Remote backend meets it: FITs, JWKS, system tokens, invocations. */
export { ForgeSim } from "./forge-sim/forge-sim";
export type { ForgeInstall, PushOptions, Reply } from "./forge-sim/forge-sim";
export { hmacFit, signFit, signingKey, unsignedFit } from "./forge-sim/fit-signer";
export { triggerClaims, uiClaims } from "./forge-sim/claims";

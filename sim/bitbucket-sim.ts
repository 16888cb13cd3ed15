/** A faithful Bitbucket Cloud for tests and local demos; see bitbucket-sim/bitbucket-sim.ts. */
export { BitbucketSim } from "./bitbucket-sim/bitbucket-sim";
export type { BitbucketSimOptions, InstallOptions, PushChange } from "./bitbucket-sim/bitbucket-sim";
export type { IssuedAccessToken } from "./bitbucket-sim/access-tokens";
export type { ApiCall, Fault, FiredFault, RecordedStatus, SignOpts, SimRepo, SimTenant } from "./bitbucket-sim/types";

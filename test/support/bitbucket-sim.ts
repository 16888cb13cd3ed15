/** A faithful Bitbucket Cloud for tests and local demos; see bitbucket-sim/bitbucket-sim.ts. */
export { BitbucketSim } from "./bitbucket-sim/bitbucket-sim";
export type { InstallOptions, PushChange } from "./bitbucket-sim/bitbucket-sim";
export type { ApiCall, Fault, RecordedStatus, SignOpts, SimRepo, SimTenant } from "./bitbucket-sim/types";

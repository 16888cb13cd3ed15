// A simulated GitLab for component tests and local demos: see gitlab-sim/gitlab-sim.ts.
export { GitLabSim, type GitLabSimOptions } from "./gitlab-sim/gitlab-sim";
export type { DeliverOptions, DeliveryResult } from "./gitlab-sim/deliver-hooks";
export type { PayloadOptions, PayloadTimestamps } from "./gitlab-sim/hook-payloads";
export type {
  AccessLevel,
  ApiCall,
  Delivery,
  Fault,
  FiredFault,
  GitLabStatus,
  HookKind,
  MirrorCredentialCheck,
  MirrorOutcome,
  MirrorState,
  SimHook,
  SimJob,
  SimPipeline,
  SimGroup,
  SimProject,
  SimUser,
} from "./gitlab-sim/types";

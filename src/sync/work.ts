/** The webhook delivery work comes from; work of a delivery already taken in is not written again. */
export type Delivery = { source: "bitbucket" | "gitlab" | "forge"; id: string } | undefined;

/** Wakes this instance's outbox worker after work was written, so delivery starts at once (or in `ms`). */
export interface Wakeup {
  kick(): void;
  kickIn(ms: number): void;
}

import assert from "node:assert/strict";
import { pushSyncVerdicts, verdictLines, type PushSyncSizeResult } from "../../bench/phases/push-sync";
import { blobsPerCommit, commitHeader } from "../../bench/support/large-repo";
import { summarize } from "../../bench/support/stats";

const size = (name: string, o: { refs: number[]; ratio: number; peak: number }): PushSyncSizeResult =>
  ({ name, repoMb: 1, refMs: summarize(o.refs), maxBytesRatio: o.ratio, peakRssMb: o.peak }) as PushSyncSizeResult;

describe("the push-sync benchmark's targets", () => {
  it("passes fast syncs that send less than twice their new objects with flat memory", () => {
    const v = pushSyncVerdicts([
      size("small", { refs: [900, 1000, 1100], ratio: 1.1, peak: 150 }),
      size("large", { refs: [1000, 1200, 2900], ratio: 0.9, peak: 160 }),
    ]);
    assert.deepEqual(
      v.map((x) => x.pass),
      [true, true, true, true],
    );
    assert.match(verdictLines(v).join("\n"), /✓ app peak RSS .*: 150 → 160 MB \(\+10\)/);
  });

  it("fails a p95 of 3 s or more, a sync sending 2× its new objects, and memory growing with the repository", () => {
    const refs = [...Array(18).fill(1000), 3000, 3000];
    const v = pushSyncVerdicts([
      size("small", { refs: [1000], ratio: 1, peak: 150 }),
      size("large", { refs, ratio: 2, peak: 170 }),
    ]);
    assert.deepEqual(
      v.map((x) => x.pass),
      [true, false, false, false],
    );
    assert.match(verdictLines(v)[1]!, /^✗ large .*: 3000 ms$/);
  });

  it("fails a size with no pushes measured rather than passing it", () => {
    assert.equal(pushSyncVerdicts([size("small", { refs: [], ratio: 1, peak: 150 })])[0]!.pass, false);
  });
});

describe("the benchmark's large repository", () => {
  it("holds at least the size asked for", () => {
    const n = blobsPerCommit(100, 8, 256 * 1024);
    assert.equal(n, 50);
    assert.ok(n * 8 * 256 * 1024 >= 100 * 2 ** 20);
    assert.ok(blobsPerCommit(101, 8, 256 * 1024) * 8 * 256 * 1024 >= 101 * 2 ** 20);
  });

  it("chains its fast-import commits on main, the first without a parent", () => {
    assert.doesNotMatch(commitHeader(0, 1), /^from /m);
    const second = commitHeader(1, 1);
    assert.match(second, /^commit refs\/heads\/main\nmark :2\n/);
    assert.match(second, /^from :1$/m);
    const data = /data (\d+)\n([\s\S]*)from/.exec(second)!;
    assert.equal(Buffer.byteLength(data[2]!), Number(data[1]));
  });
});

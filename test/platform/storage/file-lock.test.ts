/**
 * The lock file that keeps two processes from downloading the same model: exclusive while held, kept fresh by
 * its holder, taken over when its holder stops touching it, and released only by its owner.
 */
import { mkdtemp, readFile, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withFileLock } from "../../../lib/platform/storage/file-lock.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lockPath = async () => path.join(await mkdtemp(path.join(os.tmpdir(), "serena-lock-")), "x.lock");

describe("withFileLock", () => {
  it("lets one holder in at a time and removes the file afterwards", async () => {
    const lock = await lockPath();
    const events: string[] = [];
    const hold = (name: string) =>
      withFileLock(
        lock,
        async () => {
          events.push(`${name} in`);
          await sleep(100);
          events.push(`${name} out`);
        },
        { pollMs: 10 },
      );
    await Promise.all([hold("a"), hold("b")]);
    expect([["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"]]).toContainEqual(events);
    await expect(stat(lock)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("keeps a live holder's lock fresh, so a waiter does not take it over however long it takes", async () => {
    const lock = await lockPath();
    const options = { staleMs: 150, heartbeatMs: 30, pollMs: 10 };
    let overlap = false;
    let inside = false;
    const hold = () =>
      withFileLock(
        lock,
        async () => {
          overlap ||= inside;
          inside = true;
          await sleep(500);
          inside = false;
        },
        options,
      );
    await Promise.all([hold(), hold()]);
    expect(overlap).toBe(false);
  });

  it("takes over a lock left by a process that died", async () => {
    const lock = await lockPath();
    await writeFile(lock, JSON.stringify({ token: "dead" }));
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const token = await withFileLock(lock, async () => JSON.parse(await readFile(lock, "utf8")).token as string, { staleMs: 1000, pollMs: 10 });
    expect(token).not.toBe("dead");
  });

  it("is released only by its owner: a lock taken over meanwhile stays", async () => {
    const lock = await lockPath();
    await withFileLock(lock, async () => {
      // Another process broke this lock as stale and took it: the file now holds its token.
      await writeFile(lock, JSON.stringify({ token: "the-new-owner" }));
    });
    expect(JSON.parse(await readFile(lock, "utf8")).token).toBe("the-new-owner");
  });

  it("gives up after waitMs when the holder stays alive", async () => {
    const lock = await lockPath();
    let release!: () => void;
    const held = withFileLock(lock, () => new Promise<void>((r) => (release = r)), { heartbeatMs: 20 });
    await sleep(20);
    await expect(withFileLock(lock, async () => "never", { waitMs: 150, pollMs: 20 })).rejects.toThrow(/timed out after 150 ms waiting for the lock/);
    release();
    await held;
  });
});

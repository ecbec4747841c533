/**
 * A lock file shared by processes on one machine (function instances sharing /tmp, a CLI beside a server): created
 * with O_EXCL, kept fresh by a heartbeat that touches its modification time, and broken when it has not been
 * touched for `staleMs` (its holder died). Breaking compares the file's inode and mtime just before removing it,
 * which leaves a window of microseconds in which two waiters could both take over; callers therefore use the lock
 * to avoid duplicate work and stay correct without it (model-download.ts stages into a private folder and renames).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { open, readFile, stat, unlink, utimes } from "node:fs/promises";

export interface LockOptions {
  /** A lock untouched for this long is considered abandoned. */
  staleMs: number;
  /** How often the holder touches the lock. */
  heartbeatMs: number;
  /** How often a waiter looks again. */
  pollMs: number;
  /** How long a waiter waits for a live holder before giving up. */
  waitMs: number;
}

export const DEFAULT_LOCK: LockOptions = { staleMs: 30_000, heartbeatMs: 5_000, pollMs: 250, waitMs: 20 * 60_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

async function tryCreate(lockPath: string, token: string): Promise<boolean> {
  try {
    const fh = await open(lockPath, "wx");
    try {
      await fh.writeFile(JSON.stringify({ token, pid: process.pid, host: hostname(), acquiredAt: new Date().toISOString() }));
    } finally {
      await fh.close();
    }
    return true;
  } catch (error) {
    if (code(error) === "EEXIST") return false;
    throw error;
  }
}

/** Removes the lock if it is still the stale file that was seen (same inode, not touched since). */
async function breakStale(lockPath: string, seen: { ino: number; mtimeMs: number }): Promise<void> {
  const now = await stat(lockPath).catch(() => null);
  if (now && now.ino === seen.ino && now.mtimeMs === seen.mtimeMs) await unlink(lockPath).catch(() => undefined);
}

async function acquire(lockPath: string, token: string, options: LockOptions): Promise<void> {
  const giveUpAt = Date.now() + options.waitMs;
  for (;;) {
    if (await tryCreate(lockPath, token)) return;
    const info = await stat(lockPath).catch(() => null);
    if (info && Date.now() - info.mtimeMs > options.staleMs) {
      await breakStale(lockPath, info);
      continue;
    }
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${options.waitMs} ms waiting for the lock ${lockPath}`);
    await sleep(options.pollMs);
  }
}

/** Releases only our own lock: one broken as stale and taken by another process stays theirs. */
async function release(lockPath: string, token: string): Promise<void> {
  const content = await readFile(lockPath, "utf8").catch(() => "");
  if (content.includes(token)) await unlink(lockPath).catch(() => undefined);
}

/** Runs `fn` while holding the lock file at `lockPath`. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: Partial<LockOptions> = {}): Promise<T> {
  const opts = { ...DEFAULT_LOCK, ...options };
  const token = randomUUID();
  await acquire(lockPath, token, opts);
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, opts.heartbeatMs);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await release(lockPath, token);
  }
}

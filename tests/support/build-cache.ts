import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Folders that are slow to make and the same for the same inputs (bundles, installs, generated code),
// made once and shared by the test files of a run and by later runs: each lives in a folder named by
// its content key, made under a lock (test files running at once wait for one build), so a run with
// unchanged inputs makes nothing. One cache per checkout, so worktrees do not prune each other's.

const ROOT = join(import.meta.dirname, '..', '..');
const CACHE = join(tmpdir(), `parley-shipped-${hash(ROOT).slice(0, 10)}`);

const pending = new Map<string, Promise<string>>();

/**
 * The folder `make` fills for `key`: reused when a complete one exists, else made under the lock of
 * `name` (in a scratch folder, renamed when done, so nobody sees half of it). Older folders of `name`
 * (other keys) go, so the cache holds one folder per name.
 */
export function cachedFolder(name: string, key: string, make: (into: string) => void): Promise<string> {
  const id = `${name}-${key.slice(0, 16)}`;
  let done = pending.get(id);
  if (!done) {
    done = locked(join(CACHE, `${name}.lock`), async () => {
      const dir = join(CACHE, id);
      if (existsSync(join(dir, '.complete'))) return dir;
      for (const old of existsSync(CACHE) ? readdirSync(CACHE) : []) {
        if (old.startsWith(`${name}-`)) rmSync(join(CACHE, old), { recursive: true, force: true });
      }
      const scratch = `${dir}.partial`;
      make(scratch);
      writeFileSync(join(scratch, '.complete'), new Date().toISOString());
      renameSync(scratch, dir);
      return dir;
    });
    // A failed make is not remembered: the next caller tries again.
    done.catch(() => pending.delete(id));
    pending.set(id, done);
  }
  return done;
}

/** Runs `fn` holding a lock folder other processes wait on; a lock whose process died is taken over. */
async function locked<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (holderDied(lock)) rmSync(lock, { recursive: true, force: true });
      else await released(lock);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function holderDied(lock: string): boolean {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // Not written yet: its holder has just taken the lock.
  }
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/** Resolves when the lock folder is removed (a watch on its parent), or after 2 s to check its holder. */
function released(lock: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dirname(lock));
    const done = () => {
      clearTimeout(timer);
      watcher.close();
      resolve();
    };
    const timer = setTimeout(done, 2_000);
    watcher.on('change', () => {
      if (!existsSync(lock)) done();
    });
    if (!existsSync(lock)) done();
  });
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * A new PGlite database starts as a copy of an empty one instead of running initdb: initdb took
 * 5.3 s (7.3 s of CPU) here, opening a copy 1.2 s, and every `harness run` on the embedded default
 * and many tests create one. The first database this user creates with this PGlite version runs
 * initdb in a directory of its own, which is closed and kept (about 40 MB, before any table) under
 * the system's temporary directory; every database, that first one included, opens a copy of it.
 * The first one does not go on with the instance that ran initdb: that instance keeps the memory
 * initdb touched (770 MiB resident here against 290 MiB for an opened copy), which took the main
 * job's first run past its 1 GiB. PGlite's own dump (`dumpDataDir`) was not used: building the tar
 * in memory did the same. A template that does not open is built again. `HARNESS_PGLITE_TEMPLATE`
 * names another directory, or `off` to always run initdb.
 */
export async function createPglite(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<PGlite> {
  // An existing cluster is opened as it is.
  if (existsSync(join(dataDir, 'PG_VERSION'))) return PGlite.create(dataDir);
  const template = templatePath(env);
  if (template === null) return PGlite.create(dataDir);
  const copy = await openCopy(template, dataDir);
  if (copy) return copy;
  await buildTemplate(template);
  // Without a template (a full or read-only temporary directory), initdb runs here.
  return (await openCopy(template, dataDir)) ?? PGlite.create(dataDir);
}

/** A copy of the template opened in `dataDir`; null when there is no template, or one that does not open (it is removed). */
async function openCopy(template: string, dataDir: string): Promise<PGlite | null> {
  if (!existsSync(join(template, 'PG_VERSION'))) return null;
  try {
    cpSync(template, dataDir, { recursive: true });
    return await PGlite.create(dataDir);
  } catch {
    rmSync(template, { recursive: true, force: true });
    // What the failed copy left behind must not look like a cluster to initdb.
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    return null;
  }
}

/** Where the template of this PGlite version is kept for this user; null when templates are off. */
export function templatePath(env: NodeJS.ProcessEnv): string | null {
  const chosen = env.HARNESS_PGLITE_TEMPLATE;
  if (chosen === 'off') return null;
  if (chosen) return chosen;
  return join(tmpdir(), `harness-pglite-${pgliteVersion()}-${process.getuid?.() ?? 'user'}`);
}

/** The installed PGlite's version, from its package.json (which its exports map does not expose): found above its entry point. */
function pgliteVersion(): string {
  for (let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (name === '@electric-sql/pglite' && version) return version;
  }
  throw new Error('@electric-sql/pglite: no package.json above its entry point');
}

/**
 * initdb in a directory of its own, checkpointed so its files hold everything, closed and renamed
 * into place, so a reader never sees half a template.
 */
async function buildTemplate(template: string): Promise<void> {
  const partial = `${template}.${process.pid}.${Date.now()}`;
  try {
    const db = await PGlite.create(partial);
    await db.exec('CHECKPOINT');
    await db.close();
    renameSync(partial, template);
  } catch {
    // A template is only a saving: without one (a full or read-only disk, or another process's
    // template renamed into place first) the database runs initdb or uses that one.
    rmSync(partial, { recursive: true, force: true });
  }
}

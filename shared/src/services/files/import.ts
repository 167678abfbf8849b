/**
 * Content addressing: files and directories into a UnixFS DAG with the IPIP-499 `unixfs-v1-2025`
 * profile (CIDv1, raw leaves, SHA-256, 1 MiB chunks, 1,024 links per node), through the maintained
 * importer, so a current IPFS implementation adding the same bytes with that profile gets the same CID.
 *
 * @example
 * ```ts
 * const { cid, bytes } = await importEntries([{ path: 'a.txt', content: [new TextEncoder().encode('hi')] }], blockstore)
 * ```
 */
import type { Blockstore } from 'interface-blockstore'
import { type ImportCandidate, importer } from 'ipfs-unixfs-importer'

/** The importer profile every edgeswarm peer uses: changing it changes every CID. */
export const UNIXFS_PROFILE = 'unixfs-v1-2025'

export interface ImportEntry {
  /** Path inside the shared tree (`dir/file.bin`); one entry without a slash for a single file. */
  path: string
  /** File bytes; absent for an (empty) directory. */
  content?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  /** Where `content` comes from on this machine: the share then references the file, not a copy. */
  source?: string
}

export interface Imported {
  cid: string
  /** Total file bytes imported. */
  bytes: number
  /** `file` for one file, `directory` when entries share a top-level directory or are wrapped. */
  type: 'file' | 'directory'
}

/**
 * Imports entries; a single file without a directory gives the file's CID, several top-level entries
 * are wrapped in a directory (whose CID is returned).
 */
export async function importEntries(
  entries: Iterable<ImportEntry> | AsyncIterable<ImportEntry>,
  blockstore: Pick<Blockstore, 'put'>,
  options: { wrap?: boolean; signal?: AbortSignal } = {},
): Promise<Imported> {
  let bytes = 0
  const counted = async function* (): AsyncGenerator<ImportCandidate> {
    for await (const e of entries) {
      if (e.content === undefined) {
        yield { path: e.path }
        continue
      }
      const src = e.content
      yield {
        path: e.path,
        content: (async function* () {
          for await (const chunk of src) {
            bytes += chunk.byteLength
            yield chunk
          }
        })(),
      }
    }
  }
  let last: { cid: { toString: () => string }; path?: string; unixfs?: { type: string } } | undefined
  for await (const entry of importer(
    counted(),
    blockstore as Blockstore,
    {
      profile: UNIXFS_PROFILE,
      wrapWithDirectory: options.wrap ?? false,
      signal: options.signal,
    } as Parameters<typeof importer>[2],
  )) {
    last = entry
  }
  if (last === undefined) throw new Error('nothing to import')
  const type =
    last.unixfs === undefined || last.unixfs.type === 'file' || last.unixfs.type === 'raw'
      ? 'file'
      : 'directory'
  return { cid: last.cid.toString(), bytes, type }
}

/** Imports one buffer as a file (the `FileStore.addBytes` path). */
export function importBytes(bytes: Uint8Array, blockstore: Pick<Blockstore, 'put'>): Promise<Imported> {
  return importEntries([{ path: '', content: [bytes] }], blockstore)
}

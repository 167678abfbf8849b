/**
 * The file-sharing service's API as other services use it (`ctx.service<FileStore>('files')`):
 * compute fetches a job's module and inputs through it. The full API lives in this folder.
 */
export interface FileStore {
  /** Imports `bytes` (UnixFS, unixfs-v1-2025 profile), shares it and returns its CIDv1 string. */
  addBytes: (bytes: Uint8Array, options?: { name?: string }) => Promise<string>
  /**
   * Fetches `cid` from the swarm (every chunk verified), keeps and serves it, and returns its bytes.
   * Refuses content larger than `maxBytes`.
   */
  getBytes: (cid: string, options?: { signal?: AbortSignal; maxBytes?: number }) => Promise<Uint8Array>
}

/**
 * The slice of the WebAssembly JS API that compute uses, typed here because the three tsconfigs see
 * different globals (Node's types declare no WebAssembly values; workerd's lack `compile`). Node,
 * browsers and Web Workers all provide it at run time.
 */

/** A compiled module (structured-cloneable to worker threads and Web Workers). */
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module'
}

export interface WasmApi {
  validate: (bytes: Uint8Array) => boolean
  compile: (bytes: Uint8Array) => Promise<WasmModule>
  Module: {
    imports: (m: WasmModule) => Array<{ module: string; name: string; kind: string }>
    exports: (m: WasmModule) => Array<{ name: string; kind: string }>
  }
  Instance: new (m: WasmModule, imports: object) => { exports: Record<string, unknown> }
}

export function wasmApi(): WasmApi {
  return (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
}

/**
 * Checks a compute module before any task runs it (coordinator on submit, worker on receipt): it must
 * validate, import nothing (so a task cannot reach the worker's files or network), export `memory`,
 * `alloc` and `run`, and declare a memory maximum within the cap, so the engine itself enforces the
 * memory limit (a `memory.grow` past the maximum fails inside the task).
 *
 * @example
 * ```ts
 * const mod = await checkModule(bytes, { maxMemoryPages: 256 }) // WA.Module or ModuleRejectedError
 * ```
 */
import { MAX_COMPUTE_MODULE_BYTES } from '../../constants.ts'
import { ModuleRejectedError } from '../../errors.ts'
import { type WasmModule, wasmApi } from './wasm-api.ts'

export interface ModuleCaps {
  /** Largest memory maximum the module may declare (64 KiB pages). */
  maxMemoryPages: number
}

const MEMORY_SECTION = 5

function leb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0
  let shift = 0
  let i = at
  for (;;) {
    if (i >= bytes.length || shift > 28) throw new ModuleRejectedError('module is truncated')
    const b = bytes[i++]!
    value += (b & 0x7f) * 2 ** shift
    if ((b & 0x80) === 0) return [value, i]
    shift += 7
  }
}

/** The declared maximum (pages) of the module's own memories; undefined where one has none. */
export function memoryMaximums(bytes: Uint8Array): Array<number | undefined> {
  let at = 8
  const out: Array<number | undefined> = []
  while (at < bytes.length) {
    const id = bytes[at]!
    const [size, body] = leb(bytes, at + 1)
    if (id === MEMORY_SECTION) {
      let [count, p] = leb(bytes, body)
      for (; count > 0; count--) {
        const flags = bytes[p++]!
        if (flags > 1) throw new ModuleRejectedError('shared or 64-bit memories are not allowed')
        const [, afterMin] = leb(bytes, p)
        p = afterMin
        if (flags === 1) {
          const [max, afterMax] = leb(bytes, p)
          p = afterMax
          out.push(max)
        } else out.push(undefined)
      }
    }
    at = body + size
  }
  return out
}

export async function checkModule(bytes: Uint8Array, caps: ModuleCaps): Promise<WasmModule> {
  if (bytes.byteLength > MAX_COMPUTE_MODULE_BYTES) {
    throw new ModuleRejectedError(
      `module is ${bytes.byteLength} bytes, larger than the ${MAX_COMPUTE_MODULE_BYTES}-byte limit`,
    )
  }
  const WA = wasmApi()
  const copy = new Uint8Array(bytes)
  if (!WA.validate(copy)) throw new ModuleRejectedError('module is not valid WebAssembly')
  const mod = await WA.compile(copy)
  const imports = WA.Module.imports(mod)
  if (imports.length > 0) {
    const names = imports.map((i) => `${i.module}.${i.name}`).join(', ')
    throw new ModuleRejectedError(`module imports ${names}; a compute module may import nothing`)
  }
  const exports = new Map(WA.Module.exports(mod).map((e) => [e.name, e.kind]))
  for (const [name, kind] of [
    ['memory', 'memory'],
    ['alloc', 'function'],
    ['run', 'function'],
  ] as const) {
    if (exports.get(name) !== kind) {
      throw new ModuleRejectedError(`module must export ${kind} "${name}" (ABI in docs/PROTOCOLS.md)`)
    }
  }
  const maxima = memoryMaximums(copy)
  if (maxima.length !== 1)
    throw new ModuleRejectedError(`module must define one memory, has ${maxima.length}`)
  const max = maxima[0]
  if (max === undefined || max > caps.maxMemoryPages) {
    throw new ModuleRejectedError(
      `module memory maximum must be declared and at most ${caps.maxMemoryPages} pages (64 KiB each), got ${max ?? 'none'}`,
    )
  }
  return mod
}

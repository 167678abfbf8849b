/**
 * WebAssembly fixtures for compute tests: assembles WAT text with the `wabt` npm package, and the
 * example job's module (built by `npm run build:examples`, assembled here when missing).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import wabt from 'wabt'

const ROOT = join(import.meta.dirname, '..', '..')
export const MANDELBROT_WAT = join(ROOT, 'examples', 'mandelbrot', 'mandelbrot.wat')
export const MANDELBROT_WASM = join(ROOT, 'examples', 'mandelbrot', 'mandelbrot.wasm')

let toolkit: Awaited<ReturnType<typeof wabt>> | undefined

export async function wat(source: string): Promise<Uint8Array> {
  toolkit ??= await wabt()
  const parsed = toolkit.parseWat('fixture.wat', source)
  try {
    parsed.validate()
    return new Uint8Array(parsed.toBinary({}).buffer)
  } finally {
    parsed.destroy()
  }
}

export async function mandelbrot(): Promise<Uint8Array> {
  if (existsSync(MANDELBROT_WASM)) return new Uint8Array(readFileSync(MANDELBROT_WASM))
  return wat(readFileSync(MANDELBROT_WAT, 'utf8'))
}

const ABI = `
  (memory (export "memory") 1 2)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))`

/** Fixture modules that break one rule each. */
export const FIXTURES = {
  /** Loops forever: must be killed by the time limit. */
  forever: `(module ${ABI} (func (export "run") (param i32 i32) (result i32) (loop $l (br $l)) (i32.const 0)))`,
  /** Imports a host function: must be refused. */
  imports: `(module (import "env" "fetch" (func $f)) ${ABI} (func (export "run") (param i32 i32) (result i32) (call $f) (i32.const 0)))`,
  /** Declares no memory maximum: refused (the engine could not cap it). */
  unbounded: `(module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 1024)) (func (export "run") (param i32 i32) (result i32) (i32.const 0)))`,
  /** Claims a 60 KiB result whose length exceeds a small output cap. */
  oversized: `(module ${ABI} (func (export "run") (param i32 i32) (result i32) (i32.store (i32.const 0) (i32.const 61440)) (i32.const 0)))`,
  /** Traps. */
  traps: `(module ${ABI} (func (export "run") (param i32 i32) (result i32) unreachable))`,
  /** Echoes its input (cheap tasks for scheduler tests). */
  echo: `(module (memory (export "memory") 1 16)
    (func (export "alloc") (param i32) (result i32) (i32.const 16))
    (func (export "run") (param $p i32) (param $n i32) (result i32)
      (i32.store (i32.const 8) (local.get $n)) (i32.const 8)))`,
} as const

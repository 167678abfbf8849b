import { afterAll, describe, expect, it } from 'vitest'
import { checkModule } from '#shared/services/compute/module-check.ts'
import { runWasmTask } from '#shared/services/compute/wasm-task.ts'
import { FIXTURES, mandelbrot, wat } from '../../../test/helpers/wasm.ts'
import { threadExecutor } from './thread-executor.ts'

const caps = { maxMemoryPages: 256 }
const limits = { timeMs: 2_000, maxOutputBytes: 4096 }
const u64 = (n: number) => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true)
  return b
}

describe('compute sandbox', () => {
  const exec = threadExecutor(2)
  afterAll(() => exec.close())

  it('runs the example job in a thread, same bytes as in-process', async () => {
    const mod = await checkModule(await mandelbrot(), caps)
    const { output, ms } = await exec.run(mod, u64(512), limits)
    expect(output.length).toBe(1024)
    expect(ms).toBeGreaterThanOrEqual(0)
    const local = runWasmTask({ id: 1, module: mod, input: u64(512), maxOutputBytes: 4096 })
    expect(local.ok && Buffer.from(local.output).equals(Buffer.from(output))).toBe(true)
  })

  it('an input that is a view into a larger buffer (a received batch body) runs as its own bytes, the buffer untouched', async () => {
    const mod = await checkModule(await mandelbrot(), caps)
    const body = Buffer.alloc(64 * 1024) // received bytes are Buffers in Node, whose slice() is a view
    body.set(u64(700), 4096)
    const input = body.subarray(4096, 4104)
    const { output } = await exec.run(mod, input, limits)
    const local = runWasmTask({ id: 1, module: mod, input: u64(700), maxOutputBytes: 4096 })
    expect(local.ok && Buffer.from(local.output).equals(Buffer.from(output))).toBe(true)
    expect(body.buffer.byteLength).toBe(64 * 1024) // not moved to the thread
    expect(Array.from(input)).toEqual(Array.from(u64(700)))
  })

  it('refuses modules with imports, no memory maximum, or invalid bytes', async () => {
    await expect(checkModule(await wat(FIXTURES.imports), caps)).rejects.toThrow(/imports env\.fetch/)
    await expect(checkModule(await wat(FIXTURES.unbounded), caps)).rejects.toThrow(/memory maximum/)
    await expect(checkModule(await wat(FIXTURES.forever), { maxMemoryPages: 1 })).rejects.toThrow(
      /at most 1 pages/,
    )
    await expect(checkModule(new Uint8Array([0, 97, 115, 109, 9]), caps)).rejects.toMatchObject({
      name: 'ModuleRejectedError',
    })
  })

  it('kills a task that loops forever and keeps serving', async () => {
    const forever = await checkModule(await wat(FIXTURES.forever), caps)
    const started = Date.now()
    await expect(exec.run(forever, u64(1), { ...limits, timeMs: 300 })).rejects.toMatchObject({
      name: 'TaskFailedError',
      reason: 'timeout',
    })
    expect(Date.now() - started).toBeLessThan(2_000)
    const mod = await checkModule(await mandelbrot(), caps)
    const outs = await Promise.all([1, 2, 3].map((y) => exec.run(mod, u64(y), limits)))
    expect(outs.map((o) => o.output.length)).toEqual([1024, 1024, 1024])
  })

  it('runs the task queued behind one killed for time on the new thread, same bytes as in-process', async () => {
    const one = threadExecutor(1)
    try {
      const forever = await checkModule(await wat(FIXTURES.forever), caps)
      const mod = await checkModule(await mandelbrot(), caps)
      const killed = one.run(forever, u64(1), { ...limits, timeMs: 300 })
      const queued = one.run(mod, u64(300), limits)
      await expect(killed).rejects.toMatchObject({ reason: 'timeout' })
      const { output } = await queued
      const local = runWasmTask({ id: 1, module: mod, input: u64(300), maxOutputBytes: 4096 })
      expect(local.ok && Buffer.from(local.output).equals(Buffer.from(output))).toBe(true)
    } finally {
      await one.close()
    }
  })

  it('rejects oversized output and traps with their reasons', async () => {
    const big = await checkModule(await wat(FIXTURES.oversized), caps)
    await expect(exec.run(big, u64(1), limits)).rejects.toMatchObject({ reason: 'oversized-output' })
    const trap = await checkModule(await wat(FIXTURES.traps), caps)
    await expect(exec.run(trap, u64(1), limits)).rejects.toMatchObject({ reason: 'trap' })
  })
})

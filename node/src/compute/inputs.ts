/**
 * A job's inputs as the CLI gives them: `--inputs <file>` (one input per line, the line's bytes
 * without its newline) or `--range A..B` (each integer from A to B inclusive as a little-endian u64).
 */
import { readFile } from 'node:fs/promises'
import { InvalidInputError } from '#shared/errors.ts'

/** Most tasks one job may have: keeps the coordinator's state and persisted inputs bounded. */
export const MAX_JOB_TASKS = 1_000_000

export function rangeInputs(range: string): Uint8Array[] {
  const m = /^(\d+)\.\.(\d+)$/.exec(range)
  if (m === null)
    throw new InvalidInputError(
      `--range must look like A..B (integers, A <= B), got ${JSON.stringify(range)}`,
    )
  const a = BigInt(m[1]!)
  const b = BigInt(m[2]!)
  if (a > b || b >= 2n ** 64n) throw new InvalidInputError(`--range needs A <= B < 2^64, got ${range}`)
  if (b - a + 1n > BigInt(MAX_JOB_TASKS)) {
    throw new InvalidInputError(`--range ${range} has ${b - a + 1n} tasks, more than ${MAX_JOB_TASKS}`)
  }
  const out: Uint8Array[] = []
  for (let v = a; v <= b; v++) {
    const buf = new Uint8Array(8)
    new DataView(buf.buffer).setBigUint64(0, v, true)
    out.push(buf)
  }
  return out
}

export async function fileInputs(path: string): Promise<Uint8Array[]> {
  let text: Buffer
  try {
    text = await readFile(path)
  } catch (err) {
    throw new InvalidInputError(`cannot read --inputs ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
  const lines: Uint8Array[] = []
  let start = 0
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text[i] !== 0x0a) continue
    let end = i
    if (end > start && text[end - 1] === 0x0d) end--
    if (i < text.length || end > start) lines.push(new Uint8Array(text.subarray(start, end)))
    start = i + 1
  }
  if (lines.length === 0) throw new InvalidInputError(`--inputs ${path} holds no lines`)
  if (lines.length > MAX_JOB_TASKS)
    throw new InvalidInputError(`--inputs ${path} has more than ${MAX_JOB_TASKS} lines`)
  return lines
}

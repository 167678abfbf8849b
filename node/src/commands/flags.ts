/** Value parsers of the CLI's flags: one clear InvalidInputError naming the flag and the value. */
import { InvalidInputError } from '#shared/errors.ts'

export function intFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InvalidInputError(
      `--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`,
    )
  }
  return Number(raw)
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
}

/** Accepts `8388608`, `8MiB`, `64KiB`, `1GiB`, `10MB`. */
export function sizeFlag(raw: string | undefined): number {
  const m = /^([0-9]+)(B|KiB|MiB|GiB|KB|MB|GB)?$/.exec(raw ?? '')
  if (m === null) {
    throw new InvalidInputError(
      `--bytes must be a size such as 8388608 or 8MiB, got ${JSON.stringify(raw ?? '')}`,
    )
  }
  return Number(m[1]) * SIZE_UNITS[m[2] ?? 'B']!
}

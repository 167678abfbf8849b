/** A fixed-size bit set over a DAG's chunk indices: have-maps on the wire and local progress. */
export class Bitmap {
  readonly size: number
  readonly bytes: Uint8Array

  constructor(size: number, bytes?: Uint8Array) {
    this.size = size
    this.bytes = new Uint8Array(Math.ceil(size / 8))
    if (bytes !== undefined) this.bytes.set(bytes.subarray(0, this.bytes.length))
    const spare = this.bytes.length * 8 - size
    if (spare > 0 && this.bytes.length > 0) this.bytes[this.bytes.length - 1]! &= 0xff >> spare
  }

  static full(size: number): Bitmap {
    const b = new Bitmap(size, new Uint8Array(Math.ceil(size / 8)).fill(0xff))
    return b
  }

  get(i: number): boolean {
    return i >= 0 && i < this.size && (this.bytes[i >> 3]! & (1 << (i & 7))) !== 0
  }

  set(i: number): void {
    if (i >= 0 && i < this.size) this.bytes[i >> 3]! |= 1 << (i & 7)
  }

  clear(i: number): void {
    if (i >= 0 && i < this.size) this.bytes[i >> 3]! &= ~(1 << (i & 7))
  }

  count(): number {
    let n = 0
    for (let i = 0; i < this.size; i++) if (this.get(i)) n++
    return n
  }

  all(): boolean {
    return this.count() === this.size
  }
}

// The slice of workerd's `node:crypto` (nodejs_compat) that noise-crypto.ts uses; the workers tsconfig
// has no Node typings, so that Node-only APIs cannot creep into the worker unnoticed.
declare module 'node:crypto' {
  interface AeadOptions {
    authTagLength: number
  }
  interface AeadCipher {
    setAAD(aad: Uint8Array, options: { plaintextLength: number }): AeadCipher
    update(data: Uint8Array): Uint8Array
    final(): Uint8Array
    getAuthTag(): Uint8Array
  }
  interface AeadDecipher {
    setAAD(aad: Uint8Array, options: { plaintextLength: number }): AeadDecipher
    setAuthTag(tag: Uint8Array): AeadDecipher
    update(data: Uint8Array): Uint8Array
    final(): Uint8Array
  }
  export function createCipheriv(
    alg: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: AeadOptions,
  ): AeadCipher
  export function createDecipheriv(
    alg: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: AeadOptions,
  ): AeadDecipher
}

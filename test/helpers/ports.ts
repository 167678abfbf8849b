/** Moved into the product (scripts/lib/ports.ts, which `npm start` runs); re-exported for the tests. */
export * from '../../scripts/lib/ports.ts'

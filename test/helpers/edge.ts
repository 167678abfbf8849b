/** Moved into the product (scripts/lib/edge.ts, which `npm start` runs); re-exported for the tests. */
export * from '../../scripts/lib/edge.ts'

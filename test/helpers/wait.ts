/** Moved into the product (scripts/lib/wait.ts, which `npm start` runs); re-exported for the tests. */
export * from '../../scripts/lib/wait.ts'

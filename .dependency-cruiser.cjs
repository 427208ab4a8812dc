/**
 * The layer rules of README.md's "Layers" diagram, checked by
 * dependency-cruiser in `npm test` (test/architecture.test.ts) and by
 * `npm run lint:layers`. Folders are layers; imports go one way (down):
 *
 *   cli → io → vcz → vcf, zarr;  io → depot → codec, schunk;  io → merge → codec;  vcf → codec
 *
 * `src/errors.ts` (the error family's base) and `src/version.ts` sit below
 * every layer. A folder is entered through its `index.ts` only.
 */
/** Folders each layer may import (besides itself, src/errors.ts and src/version.ts). */
const layers = {
  codec: [],
  schunk: [],
  zarr: [],
  vcf: ['codec'],
  merge: ['codec'],
  vcz: ['codec', 'vcf', 'zarr'],
  depot: ['codec', 'schunk'],
  io: ['codec', 'depot', 'merge', 'vcf', 'vcz', 'zarr'],
  cli: ['io', 'depot', 'codec', 'vcf', 'vcz', 'zarr'],
};

const base = ['src/errors\\.ts$', 'src/version\\.ts$'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle hides which module is the lower layer.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...Object.entries(layers).map(([layer, allowed]) => ({
      name: `layer-${layer}`,
      severity: 'error',
      comment: `src/${layer} may import only ${allowed.length ? allowed.map((l) => `src/${l}`).join(', ') : 'nothing of ours'} (README "Layers")`,
      from: { path: `^src/${layer}/` },
      to: { path: '^src/', pathNot: [`^src/${layer}/`, ...allowed.map((l) => `^src/${l}/`), ...base.map((b) => `^${b}`)] },
    })),
    {
      name: 'through-index',
      severity: 'error',
      comment: "Another folder is entered through its index.ts, never its internals.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'base-imports-nothing',
      severity: 'error',
      comment: 'src/errors.ts and src/version.ts sit below every layer.',
      from: { path: base.map((b) => `^${b}`) },
      to: { path: '^src/' },
    },
    {
      name: 'not-to-tests-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/codec/generated/' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};

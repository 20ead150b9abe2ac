// The layers of harness, checked by `npm run depcruise` (dependency-cruiser) in CI. Each folder may
// import only itself and the folders below it, so a layer can be understood, tested and loaded
// without what sits above it: the scenario schema without the runner, a sink without the verifier,
// `harness --help` without any of them. Type-only imports count too: a circle of types is a circle.
//
// From the bottom: core/ (errors, exit codes, field types) imports nothing of ours; generators/
// make the data; pipeline/ is the reference pipeline with its rules and the seams it writes through;
// connectors/ are the transports and sinks (and the reader seams the verifier uses); scenarios/ is
// the file format, built from the components' specs; runs/ the run manifest; verifier/ the checks;
// reports/ render them; runner/ drives a run; cli/ is the top. bench/ and test/ may use anything,
// and nothing else may use them: the published dist/ holds neither.
const layers = ['core', 'generators', 'pipeline', 'connectors', 'scenarios', 'runs', 'verifier', 'reports', 'runner', 'cli'];

const layerRules = layers.slice(0, -1).map((layer, i) => ({
  name: `${layer}-points-down`,
  comment: `${layer}/ may import ${layers.slice(0, i + 1).join(', ')} only: the layers above it (${layers.slice(i + 1).join(', ')}) depend on it, not it on them`,
  severity: 'error',
  from: { path: `^${layer}/` },
  to: { path: `^(${layers.slice(i + 1).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A circle, even of types only, means two modules are one layer: split out what both need, below both.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'no-test-or-bench-in-the-product',
      comment: 'test/ and bench/ are not published (package.json files); what they share with the product lives in the product.',
      severity: 'error',
      from: { pathNot: '^(test|bench)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-dev-dependency-in-the-product',
      comment: 'A user installs the dependencies only: the product may import a devDependency for its types, never at run time.',
      severity: 'error',
      from: { path: `^(${layers.join('|')})/` },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing fails at run time.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.scratch)/' },
    // Type-only imports are kept (they vanish from the JavaScript): the layers hold for types too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};

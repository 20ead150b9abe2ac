import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    setupFiles: ['./test/helpers/no-warnings.ts'],
    globalSetup: ['./test/kafka-mock/global-setup.ts', './test/kafka-broker/global-setup.ts'],
    // PGlite and the pipeline are real; give them room, and a process each.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // It imports its JSON schema without `with { type: 'json' }`, for bundlers: esbuild bundles it, Node would refuse.
    deps: { optimizer: { ssr: { enabled: true, include: ['@actions/workflow-parser'] } } },
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
  },
});

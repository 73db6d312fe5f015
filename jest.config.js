/** Test tiers: unit (in memory, fast) and engine (real OpenTofu/Terraform, cloud-init, shellcheck, CRD schemas). */
const tsJest = ['ts-jest', { isolatedModules: true, diagnostics: false }];
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
      testPathIgnorePatterns: ['<rootDir>/__tests__/engine/', '<rootDir>/__tests__/lifecycle/'],
    },
    {
      displayName: 'engine',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/__tests__/engine/**/*.test.ts'],
      slowTestThreshold: 120,
    },
  ],
};

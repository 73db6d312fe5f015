/**
 * Test tiers: unit (in memory, fast), engine (real OpenTofu/Terraform, cloud-init,
 * shellcheck, CRD schemas) and lifecycle (real engine + hcloud provider against a
 * stateful fake of the Hetzner Cloud API on 127.0.0.1).
 */
// Transpile only (tsconfig has isolatedModules); `tsc --noEmit` type-checks in npm test.
const tsJest = ['ts-jest', { diagnostics: false }];
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
    {
      displayName: 'lifecycle',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/__tests__/lifecycle/**/*.test.ts'],
      slowTestThreshold: 600,
    },
  ],
};

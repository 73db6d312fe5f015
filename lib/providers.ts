import { TerraformStack } from 'cdktf';
import { HcloudProvider } from '../.gen/providers/hcloud/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';

/**
 * The hcloud provider. The API token is never part of the configuration: the provider
 * reads `HCLOUD_TOKEN` (and `HCLOUD_ENDPOINT`, for the test fake) from the environment
 * at plan/apply time, so nothing secret lands in the synthesized JSON.
 */
export function hcloudProvider(stack: TerraformStack): HcloudProvider {
  return new HcloudProvider(stack, 'hcloud', {});
}

/**
 * Versions of hashicorp/random the stacks accept. @cdktf/provider-random pins exactly
 * 3.7.2; its v3 tags are not Go module versions, so the offline toolchain builds the
 * newest 3.x the module proxy serves. Any 3.x from 3.7.2 on has the same
 * `random_password` schema.
 */
export const RANDOM_PROVIDER_VERSION = '>= 3.7.2, < 4.0.0';

/** The random provider, for the k3s tokens. */
export function randomProvider(stack: TerraformStack): RandomProvider {
  const provider = new RandomProvider(stack, 'random', {});
  stack.addOverride('terraform.required_providers.random.version', RANDOM_PROVIDER_VERSION);
  return provider;
}

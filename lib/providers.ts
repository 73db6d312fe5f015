import { TerraformStack } from 'cdktf';
import { HcloudProvider } from '../.gen/providers/hcloud/provider';

/**
 * The hcloud provider. The API token is never part of the configuration: the provider
 * reads `HCLOUD_TOKEN` (and `HCLOUD_ENDPOINT`, for the test fake) from the environment
 * at plan/apply time, so nothing secret lands in the synthesized JSON.
 */
export function hcloudProvider(stack: TerraformStack): HcloudProvider {
  return new HcloudProvider(stack, 'hcloud', {});
}

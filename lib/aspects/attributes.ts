import type { IConstruct } from 'constructs';
import { TerraformResource } from 'cdktf';

/** The Terraform attributes (snake_case, as synthesized) of a resource of one type, or undefined. */
export function attributesOf(node: IConstruct, terraformType: string): Record<string, unknown> | undefined {
  if (!(node instanceof TerraformResource) || node.terraformResourceType !== terraformType) return undefined;
  const json = node.toTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> };
  return Object.values(json.resource[terraformType])[0];
}

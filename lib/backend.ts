import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';

/** Where a stack keeps its Terraform state. */
export type StateBackendConfig =
  | {
      /** Local files under `state/` in the project (gitignored). */
      readonly kind: 'local';
    }
  | {
      /**
       * An S3-compatible bucket (e.g. Hetzner Object Storage). Credentials come from
       * `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` at run time, never from config.
       */
      readonly kind: 's3';
      readonly bucket: string;
      /** e.g. `https://fsn1.your-objectstorage.com` */
      readonly endpoint: string;
      /** @default 'eu-central' */
      readonly region?: string;
    };

/** Configures the state backend of one stack; the state key is the stack name. */
export function configureBackend(stack: TerraformStack, stackName: string, config: StateBackendConfig): void {
  if (config.kind === 'local') {
    // Relative to the synthesized stack folder cdktf.out/stacks/<name>/.
    new LocalBackend(stack, { path: `../../../state/${stackName}.tfstate` });
    return;
  }
  const backend = new S3Backend(stack, {
    bucket: config.bucket,
    key: `hetzner-trading/${stackName}.tfstate`,
    region: config.region ?? 'eu-central',
    endpoints: { s3: config.endpoint },
    skipCredentialsValidation: true,
    skipRegionValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipS3Checksum: true,
    usePathStyle: true,
    encrypt: false,
  });
  // State locking with a lock object next to the state (`<key>.tflock`, conditional writes),
  // so two runs never apply one stack at once; OpenTofu and Terraform >= 1.10 support it.
  // cdktf 0.21's S3Backend has no prop for it yet.
  backend.addOverride('use_lockfile', true);
}

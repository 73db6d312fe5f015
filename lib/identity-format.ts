/** Marks a stored identity (lib/identity.ts); a different value is refused, never guessed at. */
export const IDENTITY_FORMAT = 'hetzner-trading-identity/1';
/** Marks the boot material the cluster stack receives (`TF_VAR_identity`). */
export const BOOT_MATERIAL_FORMAT = 'hetzner-trading-boot/1';

import { TerraformStack, TerraformVariable } from 'cdktf';

/** Variable that carries the state passphrase (`TF_VAR_state_passphrase`). */
export const STATE_PASSPHRASE_VARIABLE = 'state_passphrase';
/** The process variable the engine reads it from. */
export const STATE_PASSPHRASE_ENV = `TF_VAR_${STATE_PASSPHRASE_VARIABLE}`;
/** OpenTofu's pbkdf2 key provider refuses shorter passphrases. */
export const MIN_PASSPHRASE_LENGTH = 16;

/**
 * Turns on OpenTofu's state and plan encryption for a stack (`terraform { encryption {} }`):
 * AES-GCM with a key derived by PBKDF2 from `var.state_passphrase`, `enforced` for both, so
 * the engine refuses to write either unencrypted. The passphrase comes from the process
 * environment at run time (`TF_VAR_state_passphrase`: an environment-scoped CI secret, or the
 * operator's shell), never from the configuration. OpenTofu only (>= 1.7): Terraform does not
 * know the block and refuses the configuration.
 */
export function encryptState(stack: TerraformStack): TerraformVariable {
  const passphrase = new TerraformVariable(stack, STATE_PASSPHRASE_VARIABLE, {
    type: 'string',
    sensitive: true,
    description: `Passphrase of the state and plan encryption (set ${STATE_PASSPHRASE_ENV}, at least ${MIN_PASSPHRASE_LENGTH} characters).`,
  });
  // In JSON syntax the `method` fields take a bare static reference, not a template.
  stack.addOverride('terraform.encryption', {
    key_provider: { pbkdf2: { main: { passphrase: passphrase.stringValue } } },
    method: { aes_gcm: { main: { keys: '${key_provider.pbkdf2.main}' } } },
    state: { method: 'method.aes_gcm.main', enforced: true },
    plan: { method: 'method.aes_gcm.main', enforced: true },
  });
  return passphrase;
}

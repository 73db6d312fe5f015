/**
 * Validates cloud-init user data with the real tools: `cloud-init schema` for the document,
 * `shellcheck` for every script it writes and for its `runcmd`. Used by the template's
 * engine test and by stack tests on user data taken from synthesized Terraform JSON.
 */
import { execFile, spawnSync } from 'child_process';
import { mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import * as YAML from 'yaml';
import { writeFileContent } from '../../../templates/cloud-init';

const run = promisify(execFile);

/** The tools validation needs, with the Debian package that provides each. */
export const USER_DATA_TOOLS: Readonly<Record<string, string>> = {
  'cloud-init': 'cloud-init',
  shellcheck: 'shellcheck',
};

/** How to get the tools, for skip and failure messages. */
export const INSTALL_HINT = 'run `npm run setup`, or `sudo apt-get install -y cloud-init shellcheck`';

/** Value that stands in for each Terraform interpolation, so the text can be parsed and linted. */
export const INTERPOLATION_PLACEHOLDER = 'tf-placeholder';

/** The tools from {@link USER_DATA_TOOLS} that are not on the PATH. */
export function missingUserDataTools(): string[] {
  return Object.keys(USER_DATA_TOOLS).filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
}

/**
 * Replaces every Terraform interpolation (`${...}`, including cdktf tokens) with
 * {@link INTERPOLATION_PLACEHOLDER} and drops every directive (`%{...}`); `$${` and `%%{`
 * (Terraform's escapes) become the literal `${` and `%{`. Braces nest.
 */
export function replaceInterpolations(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    const three = text.slice(i, i + 3);
    if (three === '$${' || three === '%%{') {
      out += three.slice(1);
      i += 3;
    } else if (two === '${' || two === '%{') {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
        j++;
      }
      if (depth > 0)
        throw new Error(`unterminated Terraform interpolation at offset ${i}: ${text.slice(i, i + 40)}`);
      out += two === '${' ? INTERPOLATION_PLACEHOLDER : '';
      i = j;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

interface WriteFileEntry {
  path?: unknown;
  content?: unknown;
  encoding?: unknown;
}

/** The text written, or the placeholder itself when the content is a Terraform reference (known at apply). */
function fileContent(entry: WriteFileEntry): string {
  return entry.content === INTERPOLATION_PLACEHOLDER ? INTERPOLATION_PLACEHOLDER : writeFileContent(entry);
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(word) ? word : `'${word.split("'").join(`'\\''`)}'`;
}

async function tool(label: string, source: string, args: readonly string[]): Promise<void> {
  try {
    await run(args[0], args.slice(1), { maxBuffer: 10 * 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${args[0]} is not installed; ${INSTALL_HINT}`);
    throw new Error(`${label} failed for ${source}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * Throws unless the user data passes `cloud-init schema`, every `write_files` script
 * (content starting with `#!`) passes `shellcheck`, every `write_files` YAML file parses,
 * and the `runcmd` entries pass `shellcheck` as a sh script. Terraform interpolations are
 * replaced first (see {@link replaceInterpolations}).
 */
export async function validateUserData(text: string): Promise<void> {
  const missing = missingUserDataTools();
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}; ${INSTALL_HINT}`);

  const userData = replaceInterpolations(text);
  if (!userData.startsWith('#cloud-config\n')) throw new Error('user data must start with "#cloud-config"');
  const dir = await mkdtemp(join(tmpdir(), 'user-data-'));
  try {
    const configFile = join(dir, 'user-data.yaml');
    await writeFile(configFile, userData);
    await tool('cloud-init schema', 'the user data', ['cloud-init', 'schema', '--config-file', configFile]);

    const doc = YAML.parse(userData) as { write_files?: WriteFileEntry[]; runcmd?: unknown[] };
    const scripts: { file: string; source: string }[] = [];
    for (const [i, entry] of (doc.write_files ?? []).entries()) {
      const content = fileContent(entry);
      const path = String(entry.path);
      if (content.startsWith('#!')) {
        const file = join(dir, `write-file-${i}.sh`);
        await writeFile(file, content);
        scripts.push({ file, source: `write_files ${path}` });
      } else if (/\.ya?ml$/.test(path)) {
        try {
          YAML.parseAllDocuments(content).forEach((d) => {
            if (d.errors.length > 0) throw d.errors[0];
          });
        } catch (error) {
          throw new Error(`write_files ${path} is not valid YAML: ${(error as Error).message}`);
        }
      }
    }
    if (doc.runcmd !== undefined) {
      const lines = doc.runcmd.map((cmd) =>
        Array.isArray(cmd) ? cmd.map((w) => shellWord(String(w))).join(' ') : String(cmd),
      );
      const file = join(dir, 'runcmd.sh');
      await writeFile(file, `#!/bin/sh\n${lines.join('\n')}\n`);
      scripts.push({ file, source: 'runcmd' });
    }
    for (const { file, source } of scripts) {
      await tool('shellcheck', source, ['shellcheck', '--external-sources', file]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

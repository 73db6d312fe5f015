/**
 * Reads systemd's INI-style files (units, .network files, drop-ins) the way the tests
 * need them: sections of repeatable keys, and the command a unit starts.
 */

/** Parsed INI-style systemd file: section name to key to values (sections and keys may repeat). */
export type SystemdSections = Record<string, Record<string, string[]>>;

/** Parses a systemd unit, .network or drop-in file into sections; repeated sections merge. */
export function parseSystemdFile(text: string): SystemdSections {
  const sections: SystemdSections = {};
  let current: Record<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = sections[header[1]] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a systemd file line: '${raw}'`);
    (current[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return sections;
}

/** The command of a systemd unit's `ExecStart=`, split into words. */
export function execStart(unitText: string): string[] {
  const [command] = parseSystemdFile(unitText).Service?.ExecStart ?? [];
  if (!command) throw new Error(`unit has no ExecStart:\n${unitText}`);
  return command.split(/\s+/);
}

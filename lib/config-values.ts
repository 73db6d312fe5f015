/**
 * Run-time checks of config values. Environments are typed TypeScript, but teams also
 * generate them from JSON or plain JS, so nothing here trusts the static types: every
 * value is checked for its type first, and a message shows the value as the user wrote
 * it (JSON form) with its type, so `count: "1"` reads `got "1" (string)`, not `got 1`.
 */
import { distance } from 'fastest-levenshtein';

/** One broken rule: the field it concerns (a path such as `topics[0].name`) and the message. */
export interface ConfigProblem {
  readonly field: string;
  readonly message: string;
}

/** A config object as read at run time: any keys, any values. */
export type RawConfig = Readonly<Record<string, unknown>>;

/** The JSON type name of a value: `string`, `number`, `boolean`, `null`, `array`, `object`, ... */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A value in JSON form with its type, e.g. `"1" (string)`, `null (null)`, `NaN (number)`. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  let text: string;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol') {
    text = String(value);
  } else if (typeof value === 'function') {
    text = `[function ${value.name || 'anonymous'}]`;
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return `${text} (${typeName(value)})`;
}

/** True for a plain object (not null, not an array). */
export function isRecord(value: unknown): value is RawConfig {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is a string, else undefined (another rule reports the type). */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value when it is a whole number, else undefined. */
export function asInteger(value: unknown): number | undefined {
  return Number.isInteger(value) ? (value as number) : undefined;
}

/** The value when it is a finite number, else undefined. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The value when it is an array, else an empty list. */
export function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value when it is a plain object, else undefined. */
export function asRecord(value: unknown): RawConfig | undefined {
  return isRecord(value) ? value : undefined;
}

/**
 * How one field is checked. `check` sees a present value (not `undefined`) and returns
 * the problems; `optional` fields may be left out.
 */
export interface FieldRule {
  readonly optional?: boolean;
  /** What a good value looks like, for the messages: `a whole number >= 1`. */
  readonly expectation: string;
  readonly check: (value: unknown, field: string, config: RawConfig) => ConfigProblem[];
}

/** `<field> must be <expectation>, got <value (type)>`. */
export function mustBe(field: string, expectation: string, value: unknown): ConfigProblem {
  return { field, message: `${field} must be ${expectation}, got ${show(value)}` };
}

/** Checks every field of `value` against `rules`, and refuses fields no rule knows (typos). */
export function checkObject(
  value: unknown,
  field: string,
  rules: Readonly<Record<string, FieldRule>>,
  expectation: string,
  config: RawConfig,
): ConfigProblem[] {
  if (!isRecord(value)) return [mustBe(field, expectation, value)];
  const at = (key: string) => (field ? `${field}.${key}` : key);
  const problems: ConfigProblem[] = [];
  for (const [key, rule] of Object.entries(rules)) {
    const v = value[key];
    if (v === undefined) {
      if (!rule.optional) {
        problems.push({ field: at(key), message: `${at(key)} is missing; set it to ${rule.expectation}` });
      }
    } else {
      problems.push(...rule.check(v, at(key), config));
    }
  }
  const known = Object.keys(rules);
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const hint = closest(key, known);
    problems.push({
      field: at(key),
      message: `${at(key)} is not a field of ${field || 'an environment'}${hint ? `; did you mean '${hint}'?` : `; the fields are ${known.join(', ')}`}`,
    });
  }
  return problems;
}

/** The known name within two edits of `name` (typos such as `monitorng`), if any. */
function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const scored = known.map((k) => [k, distance(lower, k.toLowerCase())] as const);
  const best = scored.sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= 2 ? best[0] : undefined;
}

/** A list whose items each follow `item`. */
export function listOf(item: FieldRule['check'], expectation: string, optional = false): FieldRule {
  return {
    optional,
    expectation,
    check: (value, field, config) =>
      Array.isArray(value)
        ? value.flatMap((v, i) =>
            v === undefined ? [mustBe(`${field}[${i}]`, 'a value', v)] : item(v, `${field}[${i}]`, config),
          )
        : [mustBe(field, expectation, value)],
  };
}

/** A string matching `pattern` (and any further `extra` check on the string). */
export function text(
  expectation: string,
  pattern: RegExp,
  {
    optional = false,
    extra,
  }: { optional?: boolean; extra?: (s: string, field: string) => string | undefined } = {},
): FieldRule {
  return {
    optional,
    expectation,
    check: (value, field) => {
      if (typeof value !== 'string' || !pattern.test(value)) return [mustBe(field, expectation, value)];
      const more = extra?.(value, field);
      return more ? [{ field, message: more }] : [];
    },
  };
}

/** A whole number in `[min, max]`. */
export function wholeNumber(
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  { optional = false, expectation }: { optional?: boolean; expectation?: string } = {},
): FieldRule {
  const expect =
    expectation ??
    (max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number ${min}-${max}`);
  return {
    optional,
    expectation: expect,
    check: (value, field) =>
      Number.isInteger(value) && (value as number) >= min && (value as number) <= max
        ? []
        : [mustBe(field, expect, value)],
  };
}

/** A finite number above `above` (exclusive) and at most `max`. */
export function positiveNumber(
  expectation: string,
  { above = 0, max = Number.MAX_VALUE, optional = false } = {},
): FieldRule {
  return {
    optional,
    expectation,
    check: (value, field) =>
      typeof value === 'number' && Number.isFinite(value) && value > above && value <= max
        ? []
        : [mustBe(field, expectation, value)],
  };
}

/** One of a fixed list of values (compared with `===`, so `"1"` is not `1`). */
export function oneOf(values: readonly unknown[], expectation: string, { optional = false } = {}): FieldRule {
  return {
    optional,
    expectation,
    check: (value, field) => (values.includes(value) ? [] : [mustBe(field, expectation, value)]),
  };
}

/** A boolean; the strings `"true"`/`"false"` are refused, not read as truthy. */
export function flag(optional = true): FieldRule {
  return oneOf([true, false], "true or false (a boolean, not a string such as 'false')", { optional });
}

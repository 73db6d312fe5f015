/**
 * Label selectors as the Hetzner Cloud API evaluates them (`?label_selector=`): a comma-separated
 * list of expressions that must all hold, each one of `k=v`, `k==v`, `k!=v`, `k` (present),
 * `!k` (absent), `k in (a,b)` and `k notin (a,b)`.
 */
import { invalidInput } from './errors';

type Labels = Readonly<Record<string, string>>;
type Expression = (labels: Labels) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseExpression(expr: string): Expression {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(expr);
  if (set) {
    const [, key, op, list] = set;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in' ? (l) => key in l && values.has(l[key]) : (l) => !(key in l) || !values.has(l[key]);
  }
  const cmp = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(expr);
  if (cmp) {
    const [, key, op, value] = cmp;
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  const absent = /^!([\w./-]+)$/.exec(expr);
  if (absent) return (l) => !(absent[1] in l);
  if (/^[\w./-]+$/.test(expr)) return (l) => expr in l;
  throw invalidInput('label_selector', `unable to parse label selector expression '${expr}'`);
}

/** Compiles a selector into a predicate over a resource's labels (an empty selector matches all). */
export function compileSelector(selector: string | undefined): (labels: Labels) => boolean {
  if (!selector) return () => true;
  const expressions = splitTopLevel(selector).map(parseExpression);
  return (labels) => expressions.every((e) => e(labels));
}

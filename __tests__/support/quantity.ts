/**
 * Kubernetes resource quantities (`250m`, `1.5Gi`, `2k`, `1e3`, `0.5`), read the way
 * apimachinery's `resource.ParseQuantity` reads them
 * (`staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`):
 *
 * ```
 * <quantity>        ::= <signedNumber><suffix>
 * <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 * <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 * <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 * <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
 * <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
 * ```
 *
 * Values are held exactly, in nano-units (the finest scale Kubernetes keeps; finer
 * precision is rounded up, as apimachinery does), so sums and comparisons of CPU and
 * memory never suffer from floating point. No npm package does this properly: the
 * `quantityToScalar` of `@kubernetes/client-node` uses `parseInt` (so `1.5Gi` is 1 Gi and
 * `1G` is 1) and kubernetes-models only validates the format.
 */

const BINARY_SI: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

/** Power of ten of each decimal SI suffix. */
const DECIMAL_SI: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
const NANOS_PER_UNIT = 1_000_000_000n;

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** An exact Kubernetes quantity. */
export class Quantity {
  /** Zero. */
  static readonly ZERO = new Quantity(0n);

  /**
   * Parses a quantity as the API server does; a YAML number (`cpu: 1`) is read as its text.
   * @throws on anything apimachinery would refuse (`1.2.3`, `1KB`, `e3`, empty)
   */
  static parse(input: string | number): Quantity {
    const text = String(input).trim();
    const match = NUMBER.exec(text);
    const [, sign, whole, fraction = '', suffix] = match ?? [];
    if (!match || (whole === '' && fraction === '')) {
      throw new Error(`quantity '${text}' is not a Kubernetes quantity (e.g. 250m, 1.5Gi, 2, 1e3)`);
    }
    let multiplier = 1n;
    let exponent = 0;
    if (suffix in BINARY_SI) multiplier = BINARY_SI[suffix];
    else if (suffix in DECIMAL_SI) exponent = DECIMAL_SI[suffix];
    else {
      const e = EXPONENT.exec(suffix);
      if (!e) throw new Error(`quantity '${text}' has an unknown suffix '${suffix}'`);
      exponent = Number(e[1]);
    }
    // value = digits / 10^fraction.length * multiplier * 10^exponent, in nano-units.
    const digits = BigInt(`${whole}${fraction}` || '0') * multiplier;
    const scale = exponent + 9 - fraction.length;
    const magnitude = scale >= 0 ? digits * pow10(scale) : (digits + pow10(-scale) - 1n) / pow10(-scale); // round up
    return new Quantity(sign === '-' ? -magnitude : magnitude);
  }

  /** A quantity of whole millis (`Quantity.millis(250)` is `250m`). */
  static millis(n: number): Quantity {
    return new Quantity(BigInt(n) * 1_000_000n);
  }

  private constructor(
    /** The value in nano-units (10^-9). */
    readonly nanos: bigint,
  ) {}

  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos);
  }

  /** This quantity `n` times (pods x per-pod usage). */
  times(n: number): Quantity {
    return new Quantity(this.nanos * BigInt(n));
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): number {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  /** The value in millis, rounded up (apimachinery's `MilliValue`). */
  get milliValue(): number {
    return Number(ceilDiv(this.nanos, 1_000_000n));
  }

  /** The value in whole units, rounded up (apimachinery's `Value`). */
  get value(): number {
    return Number(ceilDiv(this.nanos, NANOS_PER_UNIT));
  }

  /** A readable form: whole units, `Mi`/`Gi` for whole binary multiples, else millis. */
  toString(): string {
    if (this.nanos % NANOS_PER_UNIT !== 0n) return `${this.milliValue}m`;
    const units = this.nanos / NANOS_PER_UNIT;
    for (const suffix of ['Gi', 'Mi'] as const) {
      if (units !== 0n && units % BINARY_SI[suffix] === 0n) return `${units / BINARY_SI[suffix]}${suffix}`;
    }
    return String(units);
  }
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b > 0n ? q + 1n : q;
}

/** Sum of quantities. */
export function sumQuantities(quantities: Iterable<Quantity>): Quantity {
  let total = Quantity.ZERO;
  for (const q of quantities) total = total.add(q);
  return total;
}

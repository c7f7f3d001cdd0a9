const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity as a number (`500m` → 0.5, `4Gi` → 4294967296); NaN when it is not one. @public */
export function parseQuantity(quantity: string): number {
  const match =
    /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei)|(m|k|M|G|T|P|E))?$/.exec(
      quantity.trim(),
    );
  if (!match) return Number.NaN;
  const [, number, exponent, binary, decimal] = match;
  if (exponent) return Number(`${number}${exponent}`);
  // Divided, not multiplied by 1e-3: 700m is exactly what 0.7 is.
  if (decimal === 'm') return Number(number) / 1000;
  return Number(number) * (binary ? BINARY[binary] : DECIMAL[decimal ?? '']);
}

/** Seeds for simulation tests: SEEDS=1-20 (a range) or SEEDS=4,9 (a list); default 1-3. */
export function seeds(): number[] {
  const spec = process.env.SEEDS ?? '1-3'
  if (spec.includes('-')) {
    const [a, b] = spec.split('-').map(Number) as [number, number]
    return Array.from({ length: b - a + 1 }, (_, i) => a + i)
  }
  return spec.split(',').map(Number)
}

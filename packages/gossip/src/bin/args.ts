/** A tiny Go-flag-style parser: `-name value` or `-name=value`; repeatable flags collect. */
export function parseFlags(argv: readonly string[], repeatable: readonly string[] = []): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('-')) throw new Error(`unexpected argument ${arg}`)
    let name = arg.replace(/^--?/, '')
    let value: string | undefined
    const eq = name.indexOf('=')
    if (eq >= 0) {
      value = name.slice(eq + 1)
      name = name.slice(0, eq)
    } else {
      value = argv[++i]
      if (value === undefined) throw new Error(`flag -${name} needs a value`)
    }
    const list = out.get(name) ?? []
    if (!repeatable.includes(name)) list.length = 0
    list.push(value)
    out.set(name, list)
  }
  return out
}

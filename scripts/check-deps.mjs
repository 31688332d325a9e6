#!/usr/bin/env node
// Fails when a package imports something its package.json does not declare.
// src/ may import only `dependencies` (and Node builtins); test/, bench/ and examples/ may
// also import `devDependencies`. Relative imports must stay inside the package.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative, resolve, dirname } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const builtins = new Set(builtinModules)
const importPattern = /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^.\w])import\s+['"]([^'"]+)['"]/gm

function walk(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'bin') continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

function packageOf(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

const problems = []
const packagesDir = join(root, 'packages')
for (const dir of readdirSync(packagesDir)) {
  const pkgDir = join(packagesDir, dir)
  const manifestPath = join(pkgDir, 'package.json')
  if (!existsSync(manifestPath)) continue
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  const deps = new Set(Object.keys(manifest.dependencies ?? {}))
  const allDeps = new Set([...deps, ...Object.keys(manifest.devDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {})])
  for (const area of ['src', 'test', 'bench', 'examples']) {
    const allowed = area === 'src' ? deps : allDeps
    for (const file of walk(join(pkgDir, area))) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(importPattern)) {
        const specifier = match[1] ?? match[2] ?? match[3]
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier)
          if (!target.startsWith(pkgDir + '/')) {
            problems.push(`${relative(root, file)}: relative import '${specifier}' leaves the package`)
          }
          continue
        }
        if (specifier.startsWith('node:') || builtins.has(specifier)) continue
        const name = packageOf(specifier)
        if (name === manifest.name) continue
        if (!allowed.has(name)) {
          const where = area === 'src' ? 'dependencies' : 'dependencies or devDependencies'
          problems.push(`${relative(root, file)}: imports '${name}', not in ${manifest.name}'s ${where}`)
        }
      }
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`undeclared imports:\n${problems.map((p) => `  ${p}`).join('\n')}\n`)
  process.exit(1)
}
process.stdout.write('check-deps: every import is declared\n')

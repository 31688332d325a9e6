import { describe, expect, it } from 'vitest'
import { mockNode } from '@nomadic/structs'
import { checkOperand, nodeMatches, parseVersionConstraint, resolveTarget } from '../src/index.js'

const re = (p: string): RegExp | null => { try { return new RegExp(p) } catch { return null } }
const lit = (value: string) => ({ value, found: true })
const missing = { value: '', found: false }

describe('constraint operators', () => {
  it('resolves node targets and literals', () => {
    const node = mockNode()
    node.NodeClass = 'large'
    expect(resolveTarget('${node.unique.id}', node)).toEqual(lit(node.ID))
    expect(resolveTarget('${node.unique.name}', node)).toEqual(lit(node.Name))
    expect(resolveTarget('${node.datacenter}', node)).toEqual(lit('dc1'))
    expect(resolveTarget('${node.class}', node)).toEqual(lit('large'))
    expect(resolveTarget('${attr.kernel.name}', node)).toEqual(lit('linux'))
    expect(resolveTarget('${meta.database}', node)).toEqual(lit('mysql'))
    expect(resolveTarget('${meta.nope}', node)).toEqual(missing)
    expect(resolveTarget('${env.X}', node)).toEqual(missing)
    expect(resolveTarget('plain', node)).toEqual(lit('plain'))
  })

  it('compares with =, !=, and lexical order', () => {
    for (const op of ['=', '==', 'is']) expect(checkOperand(op, lit('a'), lit('a'), re)).toBe(true)
    for (const op of ['!=', 'not']) expect(checkOperand(op, lit('a'), lit('b'), re)).toBe(true)
    expect(checkOperand('<', lit('abc'), lit('abd'), re)).toBe(true)
    expect(checkOperand('<=', lit('b'), lit('b'), re)).toBe(true)
    expect(checkOperand('>', lit('10'), lit('9'), re)).toBe(false) // lexical, as Nomad 0.12
    expect(checkOperand('>=', lit('z'), lit('a'), re)).toBe(true)
    expect(checkOperand('=', missing, lit(''), re)).toBe(false)
  })

  it('matches regexps, sets and presence', () => {
    expect(checkOperand('regexp', lit('linux-4.15'), lit('^linux-4\\.'), re)).toBe(true)
    expect(checkOperand('regexp', lit('x'), lit('('), re)).toBe(false)
    expect(checkOperand('set_contains', lit('a,b,c'), lit('a,c'), re)).toBe(true)
    expect(checkOperand('set_contains_all', lit('a, b'), lit('a,d'), re)).toBe(false)
    expect(checkOperand('set_contains_any', lit('a,b'), lit('x,b'), re)).toBe(true)
    expect(checkOperand('set_contains_any', lit('a,b'), lit('x,y'), re)).toBe(false)
    expect(checkOperand('is_set', lit(''), missing, re)).toBe(true)
    expect(checkOperand('is_set', missing, missing, re)).toBe(false)
    expect(checkOperand('is_not_set', missing, missing, re)).toBe(true)
    expect(checkOperand('no_such_operator', lit('a'), lit('a'), re)).toBe(false)
  })

  it('checks version and semver constraints', () => {
    const v = (c: string, x: string, semver = false): boolean => parseVersionConstraint(c, semver)!(x)
    expect(v('>= 1.2.0, < 2.0', '1.10.3')).toBe(true)
    expect(v('>= 1.2.0, < 2.0', '2.0.0')).toBe(false)
    expect(v('~> 1.2', '1.9.0')).toBe(true)
    expect(v('~> 1.2', '2.0.0')).toBe(false)
    expect(v('~> 1.2.3', '1.2.9')).toBe(true)
    expect(v('~> 1.2.3', '1.3.0')).toBe(false)
    expect(v('> 1.0', '1.1.0-beta1')).toBe(false) // prereleases only match a prerelease constraint
    expect(v('>= 1.1.0-beta1', '1.1.0-beta2')).toBe(true)
    expect(v('!= 0.5.0', '0.5.1')).toBe(true)
    expect(v('= 1.0.0', '1.0.0', true)).toBe(true)
    expect(parseVersionConstraint('= 1.0', true)).toBeUndefined()
    expect(parseVersionConstraint('>> 1')).toBeUndefined()
    const node = mockNode()
    expect(nodeMatches(node, { LTarget: '${attr.nomad.version}', RTarget: '>= 0.4', Operand: 'version' }, re)).toBe(true)
    expect(nodeMatches(node, { LTarget: '${attr.nomad.version}', RTarget: '>= 0.6', Operand: 'version' }, re)).toBe(false)
  })
})

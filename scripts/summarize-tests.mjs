#!/usr/bin/env node
// Prints vitest's JSON report as the plain closing line 'N passed, M failed, K skipped'.
import { readFileSync } from 'node:fs'

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const passed = report.numPassedTests ?? 0
const failed = report.numFailedTests ?? 0
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)

#!/usr/bin/env node
// nomadic-tls: Nomad's `nomad tls ca create` / `nomad tls cert create`, with node-forge.
import { runCli } from '../cli.js'

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
})

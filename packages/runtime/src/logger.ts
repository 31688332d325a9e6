/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>

/** The logger every component takes; library code never writes to the console. */
export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const levels: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** Discards everything: the default when no logger is injected. */
export const noopLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => noopLogger,
}

/** One recorded log line. */
export interface LogEntry {
  level: LogLevel
  message: string
  fields: LogFields
}

/** Keeps log lines in memory, for tests that assert what was logged. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[]

  constructor(private readonly base: LogFields = {}, entries: LogEntry[] = []) {
    this.entries = entries
  }

  debug(message: string, fields?: LogFields): void { this.write('debug', message, fields) }
  info(message: string, fields?: LogFields): void { this.write('info', message, fields) }
  warn(message: string, fields?: LogFields): void { this.write('warn', message, fields) }
  error(message: string, fields?: LogFields): void { this.write('error', message, fields) }

  child(fields: LogFields): Logger {
    return new MemoryLogger({ ...this.base, ...fields }, this.entries)
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    this.entries.push({ level, message, fields: { ...this.base, ...fields } })
  }
}

/**
 * Writes JSON lines to a stream (stderr by default) at or above a level: for programs and
 * agents, not for library defaults.
 */
export class StreamLogger implements Logger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly out: { write(line: string): unknown } = process.stderr,
    private readonly base: LogFields = {},
  ) {}

  debug(message: string, fields?: LogFields): void { this.write('debug', message, fields) }
  info(message: string, fields?: LogFields): void { this.write('info', message, fields) }
  warn(message: string, fields?: LogFields): void { this.write('warn', message, fields) }
  error(message: string, fields?: LogFields): void { this.write('error', message, fields) }

  child(fields: LogFields): Logger {
    return new StreamLogger(this.level, this.out, { ...this.base, ...fields })
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    if (levels[level] < levels[this.level]) return
    const line = { time: new Date().toISOString(), level, message, ...this.base, ...fields }
    this.out.write(JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n')
  }
}

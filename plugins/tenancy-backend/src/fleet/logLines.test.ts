import { LOG_LIMIT_BYTES, logLines } from './pods';

describe('logLines', () => {
  it('splits a log that ends with a newline into its lines', () => {
    expect(logLines('starting\nFATAL: no config\n')).toEqual({
      lines: ['starting', 'FATAL: no config'],
    });
  });

  it('keeps a last line without a newline: often the one that says why', () => {
    expect(logLines('starting\npanic: nil map')).toEqual({
      lines: ['starting', 'panic: nil map'],
    });
  });

  it('drops the line the size limit cut short, and says the log was cut', () => {
    const line = 'x'.repeat(99);
    const text = `${`${line}\n`.repeat(
      Math.ceil(LOG_LIMIT_BYTES / 100),
    )}`.slice(0, LOG_LIMIT_BYTES);
    const { lines, truncated } = logLines(text);
    expect(truncated).toBe(true);
    expect(lines.every(l => l === line)).toBe(true);
    expect(lines).toHaveLength(Math.floor(LOG_LIMIT_BYTES / 100));
  });

  it('reads an empty log as no lines', () => {
    expect(logLines('')).toEqual({ lines: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { errorFromWire, errorToWire, isSalveError, SalveError } from '../../src/errors.js';

// What the SQLite writer thread answers with: an error crosses the thread as data and is rebuilt with its code.
const across = (err: unknown) => errorFromWire(structuredClone(errorToWire(err)));

describe('errors across a thread', () => {
  it('a SalveError comes back a SalveError with its code, status, retryability and details', () => {
    const back = across(
      new SalveError('SALVE_STORE_UNAVAILABLE', 'the disk is full', {
        retryable: true,
        details: { lost: true },
      }),
    );
    expect(isSalveError(back)).toBe(true);
    const err = back as SalveError;
    expect(err.code).toBe('SALVE_STORE_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.details).toEqual({ lost: true });
    expect(err.message).toBe('the disk is full');
  });

  it('a conflict stays a conflict, not retryable', () => {
    const err = across(new SalveError('SALVE_HEAL_CONFLICT', 'lease lost')) as SalveError;
    expect(err.code).toBe('SALVE_HEAL_CONFLICT');
    expect(err.retryable).toBe(false);
  });

  it("another error keeps its name, message and a driver's code, and is no SalveError", () => {
    const sqlite = Object.assign(new Error('UNIQUE constraint failed: heals.id'), {
      name: 'SqliteError',
      code: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    const back = across(sqlite);
    expect(isSalveError(back)).toBe(false);
    expect(back.name).toBe('SqliteError');
    expect(back.message).toBe('UNIQUE constraint failed: heals.id');
    expect((back as Error & { code?: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
  });

  it('a code outside the catalogue is never taken for one of ours', () => {
    const back = errorFromWire({ name: 'SalveError', message: 'forged', code: 'SALVE_NOT_A_CODE' });
    expect(isSalveError(back)).toBe(false);
  });

  it('a thrown value that is no Error still says what it was', () => {
    expect(across('boom').message).toBe('boom');
  });
});

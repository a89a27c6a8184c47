import { describe, expect, test } from 'vitest';
import { ConsoleSessions } from '../../src/shell/console/ConsoleSessions.js';

describe('console sessions', () => {
  test('a login code works once, within five minutes; a session lasts while used, and ends after twelve idle hours or a logout', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions(() => now);
    const { code, expiresAt } = sessions.issueCode();
    expect(expiresAt).toBe(now + 5 * 60_000);
    const session = sessions.redeem(code);
    expect(session).toMatch(/^[\w-]{43}$/);
    expect(sessions.redeem(code)).toBeUndefined();
    expect(sessions.touch(session)).toBe(true);
    expect(sessions.touch(`${session ?? ''}x`)).toBe(false);
    expect(sessions.touch(undefined)).toBe(false);

    const late = sessions.issueCode();
    now += 5 * 60_000;
    expect(sessions.redeem(late.code)).toBeUndefined();

    // Used 11 hours later: still alive, and kept alive by the use.
    now += 11 * 3_600_000;
    expect(sessions.touch(session)).toBe(true);
    now += 11 * 3_600_000;
    expect(sessions.touch(session)).toBe(true);
    now += 12 * 3_600_000;
    expect(sessions.touch(session)).toBe(false);

    const other = sessions.redeem(sessions.issueCode().code);
    sessions.end(other);
    expect(sessions.touch(other)).toBe(false);
  });
});

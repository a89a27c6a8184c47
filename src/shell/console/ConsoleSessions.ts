import { randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a login link works, unused. */
const LOGIN_CODE_MS = 5 * 60_000;
/** How long a session lasts without a request. */
const IDLE_MS = 12 * 60 * 60_000;

/**
 * Who may use the web console: `lattice console` (with the control token) asks for a login code; the
 * browser exchanges it, once and within five minutes, for a session (a cookie). Sessions live in memory
 * and end with the container, or after twelve idle hours.
 */
export class ConsoleSessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  /** What to close when a session ends (its event streams). */
  private readonly closers = new Map<string, Set<() => void>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time login code. */
  issueCode(): { readonly code: string; readonly expiresAt: number } {
    this.sweep();
    const code = randomBytes(24).toString('base64url');
    const expiresAt = this.now() + LOGIN_CODE_MS;
    this.codes.set(code, expiresAt);
    return { code, expiresAt };
  }

  /** Spends a login code: a new session id, or undefined when the code is unknown, used or expired. */
  redeem(code: string): string | undefined {
    this.sweep();
    if (!this.codes.delete(code)) return undefined;
    const session = randomBytes(32).toString('base64url');
    this.sessions.set(session, this.now());
    return session;
  }

  /** Whether `session` is a live session; a request through it keeps it alive. */
  touch(session: string | undefined): boolean {
    if (session === undefined) return false;
    this.sweep();
    const given = Buffer.from(session);
    for (const known of this.sessions.keys()) {
      const candidate = Buffer.from(known);
      if (candidate.length === given.length && timingSafeEqual(candidate, given)) {
        this.sessions.set(known, this.now());
        return true;
      }
    }
    return false;
  }

  /** Calls `close` when `session` ends (log out, idle); returns the function that forgets it. */
  onEnd(session: string, close: () => void): () => void {
    let set = this.closers.get(session);
    if (!set) this.closers.set(session, (set = new Set()));
    set.add(close);
    return () => {
      set.delete(close);
      if (set.size === 0 && this.closers.get(session) === set) this.closers.delete(session);
    };
  }

  /** Ends a session (log out), closing its event streams. */
  end(session: string | undefined): void {
    if (session === undefined) return;
    this.sessions.delete(session);
    const closers = this.closers.get(session);
    this.closers.delete(session);
    for (const close of closers ?? []) close();
  }

  private sweep(): void {
    const now = this.now();
    for (const [code, expiresAt] of this.codes) if (expiresAt <= now) this.codes.delete(code);
    for (const [session, lastUsed] of this.sessions) if (now - lastUsed >= IDLE_MS) this.end(session);
  }
}

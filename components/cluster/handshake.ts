import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** A fresh challenge for the peer to answer. */
export function newNonce(): Uint8Array {
  return randomBytes(16);
}

/** One connection's handshake, as both ends know it once they have exchanged HELLOs. */
export interface HandshakeSession {
  /** The node that opened the connection, and the node that accepted it. */
  readonly initiatorId: string;
  readonly acceptorId: string;
  readonly initiatorNonce: Uint8Array;
  readonly acceptorNonce: Uint8Array;
}

export type HandshakeRole = 'initiator' | 'acceptor';

/** The protocol label every proof starts with. */
export const PROOF_LABEL = 'lattice-cluster-v3';

/** scrypt's cost: each guess at the secret costs this much work (about 50 ms), online or off. */
export const KEY_DERIVATION = { salt: 'lattice-cluster-key', N: 16384, r: 8, p: 1, keyLength: 32 } as const;

const keys = new Map<string, Buffer>();

/** The HMAC key for a secret: scrypt of it (made once per secret, then kept). */
export function proofKey(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    const { salt, N, r, p, keyLength } = KEY_DERIVATION;
    key = scryptSync(secret, salt, keyLength, { N, r, p });
    keys.set(secret, key);
  }
  return key;
}

/**
 * A proof of the shared secret for this session: HMAC-SHA256, keyed by the secret's scrypt key, of the
 * protocol label, the prover's role, both node ids and both nonces (each length-prefixed). Binding the
 * whole session and the role means a proof made on one connection is worthless on any other, so a third
 * party that talks to two nodes cannot relay one node's proof to the other.
 */
export function proofFor(secret: string, session: HandshakeSession, prover: HandshakeRole): Uint8Array {
  const hmac = createHmac('sha256', proofKey(secret));
  for (const field of [PROOF_LABEL, prover, session.initiatorId, session.acceptorId, session.initiatorNonce, session.acceptorNonce]) {
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length).update(bytes);
  }
  return hmac.digest();
}

/** Whether `proof` is the `prover`'s proof for this session (compared in constant time). */
export function verifyProof(secret: string, session: HandshakeSession, prover: HandshakeRole, proof: unknown): boolean {
  if (!(proof instanceof Uint8Array)) return false;
  const expected = proofFor(secret, session, prover);
  return proof.length === expected.length && timingSafeEqual(proof, expected);
}

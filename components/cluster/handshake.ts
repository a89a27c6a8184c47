import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh challenge for the peer to answer. */
export function newNonce(): Uint8Array {
  return randomBytes(16);
}

/**
 * The answer to a challenge: HMAC-SHA256 of the challenge, the prover's id and the verifier's id, keyed
 * by the shared secret. The ids bind the proof to one direction of one pair of nodes (no reflection).
 */
export function proofFor(secret: string, challenge: Uint8Array, proverId: string, verifierId: string): Uint8Array {
  return createHmac('sha256', secret).update('lattice-cluster-v1\0').update(challenge).update(`\0${proverId}\0${verifierId}`).digest();
}

/** Whether `proof` answers `challenge` for that prover and verifier (compared in constant time). */
export function verifyProof(secret: string, challenge: Uint8Array, proverId: string, verifierId: string, proof: unknown): boolean {
  if (!(proof instanceof Uint8Array)) return false;
  const expected = proofFor(secret, challenge, proverId, verifierId);
  return proof.length === expected.length && timingSafeEqual(proof, expected);
}

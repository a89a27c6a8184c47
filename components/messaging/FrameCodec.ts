import { decode, Encoder } from '@msgpack/msgpack';

/** `0xfeedcafebeaddead`, the first 8 bytes of every frame (the seed's marker). */
export const FRAME_MARKER = 0xfeedcafebeaddeadn;
/** The marker's two halves: written and checked as two 32-bit words, which costs far less than a BigInt per frame. */
const MARKER_HIGH = 0xfeedcafe;
const MARKER_LOW = 0xbeaddead;
/** Marker (8) + type (4) + total length (4), big-endian. */
export const HEADER_BYTES = 16;
/** Default largest frame accepted, header included. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Deepest nesting of arrays and maps accepted in a payload (deep nesting is costly to decode). */
export const MAX_NESTING = 64;

/** Looks at a frame's header before its body is buffered: a reason to refuse it, or undefined. */
export type FrameGate = (type: FrameType, length: number) => string | undefined;

/** Frame types: the cluster's own (HELLO, AUTH, ECHO) and the messages components send (MESSAGE, REPLY). */
export const FrameType = {
  /** Greeting: who I am, where I listen, a challenge nonce. */
  HELLO: 1,
  /** Heartbeat. */
  ECHO: 2,
  /** A message on a subject; with an id when a reply is wanted. */
  MESSAGE: 3,
  /** The reply to a MESSAGE with an id. */
  REPLY: 4,
  /** Answer to the peer's HELLO challenge: an HMAC proving the shared secret. */
  AUTH: 5,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const TYPES = new Set<number>(Object.values(FrameType));

/** The MessagePack map a frame carries. */
export interface FramePayload {
  /** Subject. */
  readonly s: string;
  /** Sending node id. */
  readonly n: string;
  /** Body: any MessagePack value. */
  readonly b?: unknown;
  /** Request id (MESSAGE wanting a reply). */
  readonly i?: number;
  /** Request id being answered (REPLY). */
  readonly r?: number;
  /** Error text (REPLY to a failed request). */
  readonly e?: string;
}

export interface Frame {
  readonly type: FrameType;
  readonly payload: FramePayload;
}

/**
 * One encoder for the frames: its buffer is reused (each body is copied out at once), and it is safe to
 * re-enter. Its buffer grows to the largest body and never shrinks, so one over this size is followed
 * by a fresh encoder: a large message does not stay in memory.
 */
let encoder = new Encoder({ ignoreUndefined: true });
const ENCODER_KEEPS_BYTES = 64 * 1024;

/** A frame, ready for the socket. */
export function encodeFrame(type: FrameType, payload: FramePayload): Buffer {
  const body = encoder.encodeSharedRef(payload);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.byteLength);
  frame.writeUInt32BE(MARKER_HIGH, 0);
  frame.writeUInt32BE(MARKER_LOW, 4);
  frame.writeUInt32BE(type, 8);
  frame.writeUInt32BE(frame.length, 12);
  frame.set(body, HEADER_BYTES);
  if (body.byteLength > ENCODER_KEEPS_BYTES) encoder = new Encoder({ ignoreUndefined: true });
  return frame;
}

/**
 * Cuts a byte stream into frames: partial frames wait for more bytes, coalesced ones come out together.
 * It never throws and never holds more than one frame's worth (at most `maxFrameBytes`) plus the chunk
 * being read: a bad marker, an impossible length, a frame over the maximum, an unknown type or a payload
 * that is not a valid message is an error, after which the decoder refuses everything (the connection
 * is to be closed: a byte stream cannot be trusted to realign).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private failure: string | undefined;

  constructor(
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    /** Extra checks on each header, e.g. what a connection accepts before its handshake. */
    private readonly gate?: FrameGate,
  ) {}

  /** Bytes held, waiting for the rest of a frame. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Why the stream was refused, once it was: the decoder then yields nothing more. */
  get error(): string | undefined {
    return this.failure;
  }

  /** Adds bytes from the stream; take the frames they complete with `next()`. */
  append(chunk: Uint8Array): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.bufferedBytes += chunk.length;
  }

  /**
   * The next whole frame, or undefined when more bytes are needed or the stream was refused (see
   * `error`). One at a time, so that handling a frame (a handshake step) can change what the gate
   * lets through next.
   */
  next(): Frame | undefined {
    if (this.failure !== undefined || this.bufferedBytes < HEADER_BYTES) return undefined;
    const header = this.peek(HEADER_BYTES);
    const type = header.readUInt32BE(8);
    const length = header.readUInt32BE(12);
    const problem = this.headerProblem(header, type, length);
    if (problem !== undefined) {
      this.fail(problem);
      return undefined;
    }
    if (this.bufferedBytes < length) return undefined;
    const payload = decodePayload(this.take(length).subarray(HEADER_BYTES));
    if (typeof payload === 'string') {
      this.fail(payload);
      return undefined;
    }
    return { type: type as FrameType, payload };
  }

  /** What is wrong with a frame's header, known before its body is buffered. */
  private headerProblem(header: Buffer, type: number, length: number): string | undefined {
    if (header.readUInt32BE(0) !== MARKER_HIGH || header.readUInt32BE(4) !== MARKER_LOW) return badMarker(header.readBigUInt64BE(0));
    if (length < HEADER_BYTES) return `frame length ${length} is shorter than its ${HEADER_BYTES}-byte header`;
    if (length > this.maxFrameBytes) return `frame of ${length} bytes is over the maximum of ${this.maxFrameBytes}`;
    if (!TYPES.has(type)) return `unknown frame type ${type}`;
    return this.gate?.(type as FrameType, length);
  }

  /** Appends a chunk and takes every frame it completes (for callers whose gate does not change). */
  push(chunk: Uint8Array): { frames: Frame[]; error?: string } {
    this.append(chunk);
    const frames: Frame[] = [];
    for (let frame = this.next(); frame !== undefined; frame = this.next()) frames.push(frame);
    return this.failure === undefined ? { frames } : { frames, error: this.failure };
  }

  private fail(reason: string): void {
    this.failure = reason;
    this.chunks = [];
    this.bufferedBytes = 0;
    return undefined;
  }

  /** The first `n` buffered bytes, without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  /** Removes and returns the first `n` buffered bytes. */
  private take(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0] as Buffer;
        const count = Math.min(chunk.length, n - filled);
        chunk.copy(out, filled, 0, count);
        filled += count;
        if (count === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(count);
      }
    }
    this.bufferedBytes -= n;
    return out;
  }
}

/** The payload, or a string saying what is wrong with it. */
function decodePayload(bytes: Buffer): FramePayload | string {
  const nesting = nestingProblem(bytes, MAX_NESTING);
  if (nesting !== undefined) return nesting;
  let value: unknown;
  try {
    // No declared length may claim more elements than there are bytes.
    const limit = bytes.length;
    // A plain Uint8Array view, so that binary values come out as Uint8Array (a Buffer's subarray is a Buffer).
    value = decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { maxStrLength: limit, maxBinLength: limit, maxArrayLength: limit, maxMapLength: limit, maxExtLength: limit });
  } catch (error) {
    return `payload is not MessagePack: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return 'payload is not a MessagePack map';
  const p = value as Record<string, unknown>;
  if (typeof p.s !== 'string' || typeof p.n !== 'string') return 'payload has no subject ("s") or sender ("n") string';
  if ((p.i !== undefined && !Number.isSafeInteger(p.i)) || (p.r !== undefined && !Number.isSafeInteger(p.r))) return 'payload has a request id that is not an integer';
  if (p.e !== undefined && typeof p.e !== 'string') return 'payload has an error ("e") that is not a string';
  return p as unknown as FramePayload;
}

/**
 * Walks the MessagePack headers (without building anything) to refuse nesting deeper than `max`, which
 * would make decoding slow and memory-hungry for a small input. Structural errors are left to the decoder.
 */
function nestingProblem(bytes: Uint8Array, max: number): string | undefined {
  const pending: number[] = [];
  let pos = 0;
  let remaining = 1;
  const length = (offset: number, size: 1 | 2 | 4): number => {
    let n = 0;
    for (let k = 0; k < size; k++) n = n * 256 + (bytes[offset + k] ?? 0);
    return n;
  };
  while (pos < bytes.length) {
    while (remaining === 0) {
      const up = pending.pop();
      if (up === undefined) return undefined;
      remaining = up;
    }
    remaining--;
    const b = bytes[pos] as number;
    let skip = 1;
    let children = 0;
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3)) skip = 1;
    else if (b >= 0x80 && b <= 0x8f) children = (b & 0x0f) * 2;
    else if (b >= 0x90 && b <= 0x9f) children = b & 0x0f;
    else if (b >= 0xa0 && b <= 0xbf) skip = 1 + (b & 0x1f);
    else if (b === 0xc4 || b === 0xd9) skip = 2 + length(pos + 1, 1);
    else if (b === 0xc5 || b === 0xda) skip = 3 + length(pos + 1, 2);
    else if (b === 0xc6 || b === 0xdb) skip = 5 + length(pos + 1, 4);
    else if (b === 0xc7) skip = 3 + length(pos + 1, 1);
    else if (b === 0xc8) skip = 4 + length(pos + 1, 2);
    else if (b === 0xc9) skip = 6 + length(pos + 1, 4);
    else if (b === 0xca || b === 0xce || b === 0xd2) skip = 5;
    else if (b === 0xcb || b === 0xcf || b === 0xd3) skip = 9;
    else if (b === 0xcc || b === 0xd0) skip = 2;
    else if (b === 0xcd || b === 0xd1) skip = 3;
    else if (b >= 0xd4 && b <= 0xd8) skip = 2 + 2 ** (b - 0xd4);
    else if (b === 0xdc) {
      skip = 3;
      children = length(pos + 1, 2);
    } else if (b === 0xdd) {
      skip = 5;
      children = length(pos + 1, 4);
    } else if (b === 0xde) {
      skip = 3;
      children = length(pos + 1, 2) * 2;
    } else if (b === 0xdf) {
      skip = 5;
      children = length(pos + 1, 4) * 2;
    }
    pos += skip;
    if (children > 0) {
      pending.push(remaining);
      if (pending.length > max) return `payload nests arrays and maps more than ${max} deep`;
      remaining = children;
    }
  }
  return undefined;
}

/**
 * A marker that reads as text is another protocol (a web server answers "HTTP/1.1"): say so, since the
 * usual cause is a cluster.json address that points at something that is not a Lattice node.
 */
function badMarker(marker: bigint): string {
  const hex = marker.toString(16).padStart(16, '0');
  const text = Buffer.from(hex, 'hex').toString('latin1');
  const printable = /^[\x20-\x7e]+$/.test(text);
  return `bad frame marker 0x${hex} (expected 0xfeedcafebeaddead)${printable ? `; the peer sent text (${JSON.stringify(text)}): it does not speak the Lattice cluster protocol (check the node's ip and tcpPort)` : ''}`;
}

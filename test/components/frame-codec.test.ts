import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { encodeFrame, FrameDecoder, FrameType, HEADER_BYTES, MAX_NESTING, type Frame, type FramePayload } from '../../components/messaging/FrameCodec.js';

const frames: Frame[] = [
  { type: FrameType.HELLO, payload: { s: 'HELLO', n: 'a', b: { ip: '127.0.0.1', tcpPort: 9876, nonce: new Uint8Array(16).fill(7) } } },
  { type: FrameType.MESSAGE, payload: { s: 'test.subject', n: 'a', b: { list: [1, 2, 3], text: 'héllo', nested: { ok: true } }, i: 42 } },
  { type: FrameType.REPLY, payload: { s: 'test.subject', n: 'b', r: 42, e: 'it failed' } },
  { type: FrameType.ECHO, payload: { s: 'ECHO', n: 'b', b: { at: 1700000000000 } } },
];

function stream(list: readonly Frame[]): Buffer {
  return Buffer.concat(list.map((f) => encodeFrame(f.type, f.payload)));
}

/** Splits bytes at the given cut points. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(bytes.subarray(from, p));
    from = p;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

describe('the wire format: 16-byte header (marker, type, total length, big-endian) and a MessagePack payload', () => {
  test('a frame is laid out byte by byte as documented', () => {
    const frame = encodeFrame(FrameType.MESSAGE, { s: 'x', n: 'a', b: 1 });
    expect(frame.subarray(0, 8).toString('hex')).toBe('feedcafebeaddead');
    expect(frame.readUInt32BE(8)).toBe(3);
    expect(frame.readUInt32BE(12)).toBe(frame.length);
    // MessagePack: a map of 3 entries, "s" → "x", "n" → "a", "b" → 1.
    expect(frame.subarray(HEADER_BYTES).toString('hex')).toBe('83a173a178a16ea161a16201');
  });

  test('frames are encoded by one reused encoder: a frame made earlier is not changed by later ones, and a large one is not kept', () => {
    const first = encodeFrame(FrameType.MESSAGE, { s: 'x', n: 'a', b: 'first' });
    const copy = Buffer.from(first);
    encodeFrame(FrameType.MESSAGE, { s: 'y', n: 'b', b: 'second, longer than the first' });
    expect(first).toEqual(copy);

    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const largeFrameLength = (): number => encodeFrame(FrameType.MESSAGE, { s: 'x', n: 'a', b: 'x'.repeat(32 * 1024 * 1024) }).length;
    expect(largeFrameLength()).toBeGreaterThan(32 * 1024 * 1024);
    encodeFrame(FrameType.MESSAGE, { s: 'x', n: 'a', b: 'small' });
    // Twice: the first may leave what it found unreachable to the next.
    gc();
    gc();
    // The encoder's buffer grew to hold 32 MiB; without a fresh encoder it would stay (and grow to 64).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  test('frames come out whole from partial and coalesced chunks', () => {
    const bytes = stream(frames);
    const decoder = new FrameDecoder();
    const out: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.subarray(i, i + 1)).frames);
    expect(out).toEqual(frames);
    expect(new FrameDecoder().push(bytes).frames).toEqual(frames);
    expect(decoder.buffered).toBe(0);
  });

  test.each([
    ['a bad marker', () => Buffer.from('00112233445566770000000300000010', 'hex'), 'bad frame marker 0x0011223344556677 (expected 0xfeedcafebeaddead)'],
    ['an answer in another protocol', () => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), 'bad frame marker 0x485454502f312e31 (expected 0xfeedcafebeaddead); the peer sent text ("HTTP/1.1"): it does not speak the Lattice cluster protocol (check the node\'s ip and tcpPort)'],
    ['a length shorter than the header', () => Buffer.from('feedcafebeaddead000000030000000f', 'hex'), 'frame length 15 is shorter than its 16-byte header'],
    ['a frame over the maximum', () => Buffer.from('feedcafebeaddead0000000300100001', 'hex'), 'frame of 1048577 bytes is over the maximum of 1048576'],
    ['an unknown type', () => Buffer.from('feedcafebeaddead0000006300000010', 'hex'), 'unknown frame type 99'],
    ['a payload that is not MessagePack', () => Buffer.concat([Buffer.from('feedcafebeaddead0000000300000011', 'hex'), Buffer.from([0xc1])]), 'payload is not MessagePack'],
    ['a payload without subject and sender', () => {
      const good = encodeFrame(FrameType.MESSAGE, { s: 'x', n: 'a' });
      return Buffer.concat([good.subarray(0, 12), Buffer.from([0, 0, 0, 17, 0x80])]);
    }, 'payload has no subject ("s") or sender ("n") string'],
  ])('%s is an error, and the decoder refuses everything after it', (_name, bytes, reason) => {
    const decoder = new FrameDecoder(1024 * 1024);
    const result = decoder.push(Buffer.concat([encodeFrame(FrameType.ECHO, { s: 'ECHO', n: 'a' }), bytes()]));
    expect(result.frames).toHaveLength(1);
    expect(result.error).toContain(reason);
    expect(decoder.buffered).toBe(0);
    expect(decoder.push(encodeFrame(FrameType.ECHO, { s: 'ECHO', n: 'a' })).error).toBe(result.error);
  });

  test('a huge declared length is refused before anything is allocated for it', () => {
    const decoder = new FrameDecoder();
    const result = decoder.push(Buffer.from('feedcafebeaddead00000003ffffffff', 'hex'));
    expect(result.error).toBe('frame of 4294967295 bytes is over the maximum of 16777216');
    expect(decoder.buffered).toBe(0);
  });

  test(`payloads nesting arrays and maps more than ${MAX_NESTING} deep are refused before decoding`, () => {
    const nested = (depth: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
      return value;
    };
    // The payload map is one level: a body of MAX_NESTING - 1 levels is the deepest that passes.
    const deepest = { type: FrameType.MESSAGE, payload: { s: 'x', n: 'a', b: nested(MAX_NESTING - 1) } };
    expect(new FrameDecoder().push(encodeFrame(deepest.type, deepest.payload)).frames).toEqual([deepest]);
    expect(new FrameDecoder().push(encodeFrame(FrameType.MESSAGE, { s: 'x', n: 'a', b: nested(MAX_NESTING) })).error).toBe(
      `payload nests arrays and maps more than ${MAX_NESTING} deep`,
    );
    // The cheap attack: a megabyte of one-element arrays (0x91), one byte per level.
    const bombPayload = Buffer.alloc(1024 * 1024, 0x91);
    const header = Buffer.from('feedcafebeaddead00000003', 'hex');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(HEADER_BYTES + bombPayload.length);
    expect(new FrameDecoder().push(Buffer.concat([header, length, bombPayload])).error).toBe(`payload nests arrays and maps more than ${MAX_NESTING} deep`);
  });

  test('a gate refuses a frame from its header, before its body is buffered', () => {
    const decoder = new FrameDecoder(undefined, (type, length) => (type === FrameType.MESSAGE ? `no MESSAGE of ${length} bytes yet` : undefined));
    expect(decoder.push(encodeFrame(FrameType.ECHO, { s: 'ECHO', n: 'a' })).frames).toHaveLength(1);
    const result = decoder.push(Buffer.from('feedcafebeaddead0000000301000000', 'hex'));
    expect(result.error).toBe('no MESSAGE of 16777216 bytes yet');
    expect(decoder.buffered).toBe(0);
  });

  test('property: any split of valid frames decodes to the same frames', () => {
    const payload = fc.record(
      {
        s: fc.string({ minLength: 1, maxLength: 20 }),
        n: fc.string({ maxLength: 10 }),
        // MessagePack decoders refuse a "__proto__" key; senders refuse such bodies (see the messaging tests).
        b: fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')),
        i: fc.nat(),
      },
      { requiredKeys: ['s', 'n'] },
    );
    const frame = fc.record({ type: fc.constantFrom(FrameType.MESSAGE, FrameType.REPLY, FrameType.ECHO), payload });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (list, cuts) => {
        const expected = list.map((f) => ({ type: f.type, payload: JSON.parse(JSON.stringify(f.payload)) as FramePayload }));
        const decoder = new FrameDecoder();
        const out = split(stream(expected), cuts).flatMap((part) => {
          const result = decoder.push(part);
          expect(result.error).toBeUndefined();
          return result.frames;
        });
        expect(out).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('property: corrupted, truncated or random bytes never make the decoder throw or hold more than a frame', () => {
    const max = 64 * 1024;
    const corruption = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 10 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.constant(stream(frames)),
          fc.constant(Buffer.concat([Buffer.from('feedcafebeaddead', 'hex'), Buffer.alloc(8, 0xff)])),
        ),
        corruption,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (base, flips, cuts, truncate) => {
          const bytes = Buffer.from(base);
          for (const { at, byte } of flips) if (bytes.length > 0) bytes[at % bytes.length] = byte;
          const input = truncate ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes;
          const decoder = new FrameDecoder(max);
          let failed = false;
          for (const part of split(input, cuts)) {
            const result = decoder.push(part);
            if (result.error !== undefined) failed = true;
            expect(decoder.buffered).toBeLessThanOrEqual(max + part.length);
            if (failed) expect(result.error).toBeDefined();
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

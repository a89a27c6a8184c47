import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Component, Reference, serviceToken, type ConfigurationEntry } from '@lattice-scr/lattice';
import { isSecretName, MASK, redactSecrets, restoreMasked, secretMarksOf } from '../../src/config/secrets.js';
import type { StandardSchemaV1 } from '../../src/config/StandardSchema.js';
import { testContainer } from '../helpers/container.js';

describe('secrets are masked', () => {
  test('by name: secret, password, passphrase, token, key and names ending in them', () => {
    const secret = ['secret', 'Secret', 'clusterSecret', 'password', 'db.password', 'passphrase', 'token', 'apiToken', 'key', 'tls.key', 'private_key', 'ssh-key', 'apiKey', 'privateKey'];
    const credentialKeys = ['secretKey', 'accessKey', 'secretAccessKey', 'signingKey', 'encryptionKey', 'hmacKey', 'masterKey', 'authKey', 'sharedKey', 'clientKey', 'sessionKey', 'APIKEY'];
    for (const name of [...secret, ...credentialKeys]) expect(isSecretName(name), name).toBe(true);
    for (const name of ['nodes', 'tokens', 'keys', 'monkey', 'primaryKey', 'routingKey', 'sortKey', 'secretive', 'port']) expect(isSecretName(name), name).toBe(false);
  });

  test('at any depth, in arrays too; other values and the input stay as they were', () => {
    const values = { port: 1, db: { user: 'u', password: 'p4ss' }, peers: [{ id: 'a', token: 't' }, { id: 'b' }], unset: { secret: null } };
    const shown = redactSecrets(values);
    expect(shown).toEqual({ port: 1, db: { user: 'u', password: MASK }, peers: [{ id: 'a', token: MASK }, { id: 'b' }], unset: { secret: null } });
    expect(values.db.password).toBe('p4ss');
    const clean = { a: 1, b: [{ c: 2 }] };
    expect(redactSecrets(clean)).toBe(clean);
  });

  test('a whole object or array under a secret name is one mask', () => {
    expect(redactSecrets({ secret: { a: 1 }, token: [1, 2] })).toEqual({ secret: MASK, token: MASK });
  });

  test('as a zod schema marks them: .meta({ secret: true }) or writeOnly, nested, in arrays, through optional, default, union and lazy', () => {
    type Tree = { name: string; pin?: string; children: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), pin: z.string().meta({ secret: true }).optional(), children: z.array(tree) }));
    const schema = z.object({
      apiCredential: z.string().meta({ secret: true }),
      upstream: z.object({ url: z.string(), auth: z.string().meta({ writeOnly: true }) }).default({ url: 'x', auth: 'y' }),
      devices: z.array(z.object({ id: z.string(), community: z.string().meta({ secret: true }) })),
      either: z.union([z.object({ kind: z.literal('a'), code: z.string().meta({ secret: true }) }), z.object({ kind: z.literal('b') })]),
      tree,
      plain: z.string(),
    });
    const marks = secretMarksOf(schema);
    const values = {
      apiCredential: 'c',
      upstream: { url: 'u', auth: 'a' },
      devices: [{ id: 'd1', community: 'public' }],
      either: { kind: 'a', code: '1234' },
      tree: { name: 'root', pin: '1', children: [{ name: 'leaf', pin: '2', children: [] }] },
      plain: 'p',
    };
    expect(redactSecrets(values, marks)).toEqual({
      apiCredential: MASK,
      upstream: { url: 'u', auth: MASK },
      devices: [{ id: 'd1', community: MASK }],
      either: { kind: 'a', code: MASK },
      tree: { name: 'root', pin: MASK, children: [{ name: 'leaf', pin: MASK, children: [] }] },
      plain: 'p',
    });
  });

  test('array items and tuple items a schema marks, and marks on the output side of a pipe', () => {
    const schema = z.object({
      pins: z.array(z.string().meta({ secret: true })),
      pair: z.tuple([z.string(), z.string().meta({ writeOnly: true })]),
      piped: z.string().pipe(z.string().meta({ secret: true })),
    });
    expect(redactSecrets({ pins: ['1', '2'], pair: ['user', 'pass'], piped: 'p' }, secretMarksOf(schema))).toEqual({ pins: [MASK, MASK], pair: ['user', MASK], piped: MASK });
  });

  test('a schema library without JSON Schema, or one that cannot express the schema, still masks by name', () => {
    const bare: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'x', validate: (value) => ({ value }) } };
    expect(secretMarksOf(bare)).toEqual([]);
    const throwing = { '~standard': { version: 1, vendor: 'x', validate: (value: unknown) => ({ value }), jsonSchema: { input: () => { throw new Error('cannot'); } } } } as StandardSchemaV1;
    expect(secretMarksOf(throwing)).toEqual([]);
    expect(redactSecrets({ token: 't', other: 1 }, secretMarksOf(throwing))).toEqual({ token: MASK, other: 1 });
    // A custom zod type is "anything" rather than a reason to give up on the rest.
    const custom = z.object({ when: z.custom<Date>((v) => v instanceof Date), pin: z.string().meta({ secret: true }) });
    expect(redactSecrets({ when: 'now', pin: '1' }, secretMarksOf(custom))).toEqual({ when: 'now', pin: MASK });
  });

  test('as written: ${env:...} placeholders stay, literal text and defaults are masked', () => {
    const written = { secret: '${env:CLUSTER_SECRET}', token: 'abc${env:T}', password: '${env:P:-fallback-password}', key: 'literal', port: '${env:PORT}' };
    expect(redactSecrets(written, [], true)).toEqual({
      secret: '${env:CLUSTER_SECRET}',
      token: `${MASK}\${env:T}`,
      password: `\${env:P:-${MASK}}`,
      key: MASK,
      port: '${env:PORT}',
    });
    // Resolved values are never shown, whatever they came from.
    expect(redactSecrets({ secret: 'resolved' }, [], false)).toEqual({ secret: MASK });
  });
});

describe('in the container: component(name), bound services, service events, target diagnostics', () => {
  test('a provider configured with a schema-marked pin and a token: its consumers, its info and the events show ••••', async () => {
    const Gateway = serviceToken('test.secrets.Gateway');
    @Component({ name: 'gateway', service: Gateway, configurationPid: 'gateway', configSchema: z.object({ pin: z.string().meta({ secret: true }), token: z.string(), zone: z.string(), db: z.object({ password: z.string() }) }) })
    class GatewayImpl {}
    @Component({ name: 'user' })
    class User {
      @Reference({ service: Gateway }) gateway!: unknown;
    }
    @Component({ name: 'picky' })
    class Picky {
      @Reference({ service: Gateway, target: '(&(token=guess)(pin=1)(db=x))' }) gateway!: unknown;
    }
    const { container, events } = testContainer();
    await container.config.update('gateway', { pin: '2468', token: 'tok-123', zone: 'eu', db: { password: 'dbpw-9' } });
    container.register(GatewayImpl, User, Picky);
    await container.start();
    await container.whenActive('user');
    const gateway = container.component('gateway');
    expect(gateway.properties).toMatchObject({ pin: MASK, token: MASK, zone: 'eu' });
    expect(gateway.configuration).toEqual({ pin: MASK, token: MASK, zone: 'eu', db: { password: MASK } });
    const user = container.component('user');
    expect(user.references[0]?.bound[0]?.properties).toMatchObject({ pin: MASK, token: MASK, zone: 'eu' });
    const picky = container.component('picky');
    expect(picky.why.join(' ')).toContain(`has token="${MASK}", pin="${MASK}", db={"password":"${MASK}"}`);
    const shownEvents = JSON.stringify(events);
    expect(shownEvents).toContain('"zone":"eu"');
    expect(shownEvents).not.toContain('2468');
    expect(shownEvents).not.toContain('tok-123');
    expect(JSON.stringify(container.components())).not.toMatch(/2468|tok-123|dbpw-9/);
    // What components get is the real thing.
    expect(container.config.get('gateway')?.values).toEqual({ pin: '2468', token: 'tok-123', zone: 'eu', db: { password: 'dbpw-9' } });
    expect(container.shownConfiguration(container.config.get('gateway') as ConfigurationEntry)).toMatchObject({ values: { pin: MASK, token: MASK, zone: 'eu' } });
    await container.stop();
  });
});

describe('restoreMasked', () => {
  const current = { password: 's3cret', nested: { token: '${env:TOKEN:-abc}', keep: 1 }, users: [{ name: 'ann', password: 'ann-pw' }, { name: 'bo', password: 'bo-pw' }] };
  const shown = redactSecrets(current, [], true);

  test('a masked value sent back as it was shown stands for the value written at its place', () => {
    expect(shown).toEqual({ password: MASK, nested: { token: `\${env:TOKEN:-${MASK}}`, keep: 1 }, users: [{ name: 'ann', password: MASK }, { name: 'bo', password: MASK }] });
    const edited = { ...structuredClone(shown), nested: { token: `\${env:TOKEN:-${MASK}}`, keep: 2 }, added: 'x' };
    expect(restoreMasked(edited, current, shown, 'db')).toEqual({ ...current, nested: { token: '${env:TOKEN:-abc}', keep: 2 }, added: 'x' });
    // The last list item removed: the one before it is where it was shown.
    expect(restoreMasked({ users: [{ name: 'ann', password: MASK }] }, current, shown, 'db')).toEqual({ users: [{ name: 'ann', password: 'ann-pw' }] });
  });

  test('refused, naming the place: a mask with nothing written there, a changed masked string, a list item moved or changed', () => {
    expect(() => restoreMasked({ apiKey: MASK }, current, shown, 'db')).toThrow(/Configuration db: \$\.apiKey holds "••••", a masked secret, but there is no value there to keep; write the value itself\./);
    expect(() => restoreMasked({ nested: { token: `\${env:OTHER:-${MASK}}` } }, current, shown, 'db')).toThrow(/\$\.nested\.token holds .* but it is not the value shown there/);
    expect(() => restoreMasked({ password: `note ${MASK}` }, current, shown, 'db')).toThrow(/\$\.password holds/);
    // Ann removed: bo would take her password.
    expect(() => restoreMasked({ users: [{ name: 'bo', password: MASK }] }, current, shown, 'db')).toThrow(/\$\.users\[0\] holds .* but the list item is not the one shown at that place/);
    expect(() => restoreMasked({ users: [{ name: 'ann', password: MASK }, { name: 'cy', password: MASK }] }, current, shown, 'db')).toThrow(/\$\.users\[1\]/);
    // Items of nothing but masks: the first of two removed would leave the second with the first's secret.
    const tokens = { tokens: ['p1', 'p2'] };
    const tokensShown = { tokens: [MASK, MASK] };
    expect(() => restoreMasked({ tokens: [MASK] }, tokens, tokensShown, 'db')).toThrow(/\$\.tokens\[0\] holds .* the list is not as long as shown/);
    // Same length: each keeps its place (the second replaced).
    expect(restoreMasked({ tokens: [MASK, 'p3'] }, tokens, tokensShown, 'db')).toEqual({ tokens: ['p1', 'p3'] });
    // One added at the end: which is which cannot be told either.
    expect(() => restoreMasked({ tokens: [MASK, MASK, 'p3'] }, tokens, tokensShown, 'db')).toThrow(/the list is not as long as shown/);
  });
});

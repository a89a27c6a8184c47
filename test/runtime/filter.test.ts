import { describe, expect, test } from 'vitest';
import { ErrorCode, LatticeError, matchFilter, parseFilter } from '@lattice-scr/lattice';

const props = {
  role: 'primary',
  zone: 'eu-west-1',
  disk: 100,
  ready: true,
  tags: ['fast', 'ssd'],
  name: 'Main  Store',
  path: 'a*b(c)',
};

function matches(filter: string): boolean {
  return matchFilter(parseFilter(filter), props);
}

describe('LDAP filters', () => {
  test.each([
    ['(role=primary)', true],
    ['(role=replica)', false],
    ['(ROLE=primary)', true],
    ['(disk>=100)', true],
    ['(disk>=101)', false],
    ['(disk<=100)', true],
    ['(disk<=99)', false],
    ['(disk=100)', true],
    ['(disk=abc)', false],
    ['(zone>=eu)', true],
    ['(zone<=eu)', false],
    ['(name~=mainstore)', true],
    ['(name~=main store x)', false],
    ['(ready=true)', true],
    ['(ready=TRUE)', true],
    ['(ready=false)', false],
    ['(ready>=true)', false],
    ['(zone=eu-*)', true],
    ['(zone=*west*)', true],
    ['(zone=*-1)', true],
    ['(zone=eu*west*1)', true],
    ['(zone=eu*east*)', false],
    ['(zone=*)', true],
    ['(missing=*)', false],
    ['(missing=x)', false],
    ['(tags=ssd)', true],
    ['(tags=s*)', true],
    ['(tags=hdd)', false],
    ['(path=a\\*b\\(c\\))', true],
    ['(path=a*b\\(c\\))', true],
    ['(&(role=primary)(disk>=50))', true],
    ['(&(role=primary)(disk>=500))', false],
    ['(|(role=replica)(disk>=50))', true],
    ['(|(role=replica)(disk>=500))', false],
    ['(!(role=replica))', true],
    ['(!(role=primary))', false],
    [' ( & (role=primary) ( | (zone=us*) (tags=fast) ) ) ', true],
  ])('%s -> %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  test.each([
    ['', 'empty'],
    ['role=primary', 'expected "("'],
    ['(role=primary', 'missing ")"'],
    ['(role=primary))', 'after the end'],
    ['(=primary)', 'attribute name'],
    ['(role primary)', 'expected "="'],
    ['(&)', 'at least one'],
    ['(disk>=1*)', 'wildcards'],
    ['(a=b(c)', 'unescaped "("'],
    ['(a=b\\', 'escapes nothing'],
  ])('invalid filter %j is a FILTER_INVALID error mentioning %s', (filter, fragment) => {
    let error: unknown;
    try {
      parseFilter(filter);
    } catch (e) {
      error = e;
    }
    expect(LatticeError.is(error, ErrorCode.FILTER_INVALID)).toBe(true);
    expect((error as LatticeError).message).toContain(fragment);
    expect((error as LatticeError).details.filter).toBe(filter);
  });
});

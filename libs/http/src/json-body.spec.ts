import { describe, expect, it } from 'vitest';
import { MAX_OBJECT_MEMBERS, scanJson } from './json-body.js';

const scan = (text: string, maxDepth?: number) => scanJson(Buffer.from(text, 'utf8'), maxDepth);

describe('scanJson', () => {
  it('passes ordinary bodies, malformed ones included (JSON.parse refuses those)', () => {
    expect(scan('{"name":"Ada","tags":["a",{"b":[1,2]}],"n":null}')).toBeUndefined();
    expect(scan('')).toBeUndefined();
    expect(scan('{"unclosed": [')).toBeUndefined();
    expect(scan('"ünïcödé ✓ 😀"')).toBeUndefined();
  });

  it('counts depth outside strings only, up to the limit', () => {
    expect(scan('[[[]]]', 3)).toBeUndefined();
    expect(scan('[[[[]]]]', 3)).toBe('too-deep');
    expect(scan('{"a":{"b":{"c":{}}}}', 3)).toBe('too-deep');
    expect(scan('["[[[[[[", "{{{{{{"]', 2)).toBeUndefined();
    expect(scan('[],[],[],[]', 1)).toBeUndefined();
    expect(scan('['.repeat(5000))).toBe('too-deep');
  });

  it('refuses an object with more than MAX_OBJECT_MEMBERS members, counting each object on its own', () => {
    const object = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    expect(scan(object(MAX_OBJECT_MEMBERS))).toBeUndefined();
    expect(scan(object(MAX_OBJECT_MEMBERS + 1))).toBe('too-many-members');
    expect(scan(`{"a":${object(MAX_OBJECT_MEMBERS)},"b":1}`)).toBeUndefined();
    // Long arrays of small objects are fine; colons inside strings are not members.
    expect(scan(`[${Array.from({ length: 5000 }, () => '{"a":1,"b":"x:y:z"}').join(',')}]`)).toBeUndefined();
    expect(scan(`{"a":"${':'.repeat(5000)}"}`)).toBeUndefined();
  });

  it('finds NUL escaped in a value or a key, or as a raw byte', () => {
    expect(scan('{"name":"a\\u0000b"}')).toBe('nul');
    expect(scan('{"\\u0000":1}')).toBe('nul');
    expect(scan('"\0"')).toBe('nul');
    expect(scan('{}\0')).toBe('nul');
  });

  it('does not mistake escaped backslashes, quotes or other code points for NUL', () => {
    expect(scan('{"name":"a\\\\u0000"}')).toBeUndefined(); // the six characters \u0000
    expect(scan('{"name":"\\"\\u0001\\u0100\\u000A"}')).toBeUndefined();
    expect(scan('{"a":"\\"[[[[","b":1}', 1)).toBeUndefined(); // an escaped quote does not end the string
    expect(scan('"\\\\"[[', 1)).toBe('too-deep'); // an escaped backslash does not escape the quote
  });

  it('refuses an escaped surrogate that is not half of a pair, and keeps pairs', () => {
    expect(scan('{"email":"\\\\ud800"}')).toBeUndefined(); // an escaped backslash, then the text ud800
    expect(scan('{"email":"\\ud800"}')).toBe('lone-surrogate');
    expect(scan('{"email":"a\\uD800@example.com"}')).toBe('lone-surrogate');
    expect(scan('{"x":"\\udc00"}')).toBe('lone-surrogate');
    expect(scan('{"x":"\\ud800\\u0041"}')).toBe('lone-surrogate');
    expect(scan('{"\\ud800":1}')).toBe('lone-surrogate');
    expect(scan('{"x":"\\ud83d\\ude00 ok"}')).toBeUndefined(); // 😀 as an escaped pair
    expect(scan('{"x":"😀 仙鹤"}')).toBeUndefined();
    expect(scan('{"x":"\\ud83d\\ude00","y":[[1]]}', 1)).toBe('too-deep'); // the scan goes on after a pair
  });
});

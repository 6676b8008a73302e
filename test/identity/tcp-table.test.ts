// The /proc/net/tcp* address encoding, checked against rows the kernel printed for real sockets in
// socket-owner.test.ts; here the parsing edge cases.
import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { addressBytes, procAddress } from '../../src/core/identity/tcp-address.js';
import { tableSearches } from '../../src/core/identity/tcp-table.js';

describe('addressBytes', () => {
  it('parses IPv4 and folds IPv4-mapped IPv6 to it', () => {
    expect([...addressBytes('127.0.0.1')!]).toEqual([127, 0, 0, 1]);
    expect([...addressBytes('::ffff:10.1.2.3')!]).toEqual([10, 1, 2, 3]);
    expect([...addressBytes('::FFFF:a01:203')!]).toEqual([10, 1, 2, 3]);
  });
  it('expands IPv6, with brackets and zones dropped', () => {
    expect([...addressBytes('::1')!]).toEqual([...Array(15).fill(0), 1]);
    expect([...addressBytes('[2001:db8::ff00:42:8329]')!]).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29,
    ]);
    expect([...addressBytes('fe80::1%eth0')!]).toEqual([0xfe, 0x80, ...Array(13).fill(0), 1]);
    expect([...addressBytes('1:2:3:4:5:6:7:8')!]).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect([...addressBytes('::1.2.3.4')!]).toEqual([...Array(12).fill(0), 1, 2, 3, 4]); // IPv4-compatible stays IPv6
  });
  it('refuses what is not an address', () => {
    expect(addressBytes('localhost')).toBeUndefined();
    expect(addressBytes('')).toBeUndefined();
    expect(addressBytes('1.2.3.256')).toBeUndefined();
  });
});

describe.skipIf(endianness() !== 'LE')('procAddress (little-endian host)', () => {
  it('prints IPv4 as one little-endian word and the port as big hex', () => {
    expect(procAddress(addressBytes('127.0.0.1')!, 8080)).toBe('0100007F:1F90');
    expect(procAddress(addressBytes('10.1.2.3')!, 1)).toBe('0302010A:0001');
  });
  it('prints IPv6 as four little-endian words', () => {
    expect(procAddress(addressBytes('::1')!, 443)).toBe('00000000000000000000000001000000:01BB');
    expect(procAddress(addressBytes('2001:db8::1')!, 65535)).toBe('B80D0120000000000000000001000000:FFFF');
  });
});

describe('tableSearches', () => {
  it('looks in tcp, then tcp6 for an IPv4 client dialling from an IPv6 socket', () => {
    const searches = tableSearches({ address: '::ffff:127.0.0.1', port: 50000 }, { address: '127.0.0.1', port: 8080 });
    expect(searches.map((s) => s.file)).toEqual(['/proc/net/tcp', '/proc/net/tcp6']);
  });
  it('looks only in tcp6 for IPv6, and nowhere for mixed families or bad ports', () => {
    expect(tableSearches({ address: '::1', port: 1 }, { address: '::1', port: 2 }).map((s) => s.file)).toEqual(['/proc/net/tcp6']);
    expect(tableSearches({ address: '::1', port: 1 }, { address: '127.0.0.1', port: 2 })).toEqual([]);
    expect(tableSearches({ address: '127.0.0.1', port: 1.5 }, { address: '127.0.0.1', port: 2 })).toEqual([]);
  });
});

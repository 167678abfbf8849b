import { describe, expect, it } from 'vitest'
import { cidrContains, parseCidr } from './cidr.ts'

describe('cidr', () => {
  it('parses and normalises ranges', () => {
    expect(parseCidr('198.51.100.7/24').text).toBe('198.51.100.0/24')
    expect(parseCidr('0.0.0.0/0').text).toBe('0.0.0.0/0')
    const lab = parseCidr('198.51.100.0/24')
    expect(cidrContains(lab, '198.51.100.130')).toBe(true)
    expect(cidrContains(lab, '::ffff:198.51.100.2')).toBe(true)
    expect(cidrContains(lab, '198.51.101.1')).toBe(false)
    expect(cidrContains(lab, 'fe80::1')).toBe(false)
  })

  it('names the flag and the bad value', () => {
    for (const bad of ['198.51.100.0', '198.51.100.0/33', '300.1.1.1/8', 'lab', '1.2.3.4/8/9']) {
      expect(() => parseCidr(bad)).toThrow(/--public-cidr must be an IPv4 CIDR range .*got/)
    }
  })
})

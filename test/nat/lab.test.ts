/**
 * Smoke tests of the NAT lab itself (no daemon needed): are the routers as realistic as the matrix
 * tests assume? Translation, dropping unsolicited inbound, and STUN mappings per NAT mode.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { waitFor } from '../helpers/wait.ts'
import { createLab, type Lab, PROBE, PUBLIC_IP, PUBLIC_IP_2, STUN_PORT, trapTeardown } from './lab.ts'
import { skipNotice } from './skip.ts'

const ECHO_PORT = 7000
const skip = skipNotice()

function lines(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe.skipIf(skip)('nat lab', () => {
  let lab: Lab
  let untrap = () => {}

  beforeAll(async () => {
    const started = Date.now()
    lab = await createLab()
    untrap = trapTeardown(lab)
    await lab.addHome('a', 'eim')
    await lab.addHome('b', 'symmetric')
    console.log(`nat lab: created in ${Date.now() - started} ms`)
    const echo = lab.spawn(lab.pubNs, [...PROBE, 'serve', PUBLIC_IP, String(ECHO_PORT)])
    await waitFor('echo server on the public host', () => echo.output().includes('"ready"'), 10_000)
  })

  afterAll(async () => {
    await lab?.destroy()
    untrap()
  })

  test('eim router translates the source to its WAN address', async () => {
    const a = lab.homes.get('a')!
    const [res] = lines(await lab.exec(a.host, [...PROBE, 'tcp', PUBLIC_IP, String(ECHO_PORT)]))
    expect(res).toMatchObject({ seenAs: { address: a.wanIp } })
    expect(a.ip).toMatch(/^10\./)
  })

  test('eim router forwards replies but drops unsolicited inbound', async () => {
    const a = lab.homes.get('a')!
    const before = await a.counters()
    const hold = lab.spawn(a.host, [...PROBE, 'udp-hold', PUBLIC_IP, String(ECHO_PORT), '41000', '1500'])
    const mapped = await waitFor('the home to learn its mapping', () => {
      const m = lines(hold.output()).find((l) => 'mapped' in l)
      return m?.mapped as { address: string; port: number } | undefined
    })
    expect(mapped).toEqual({ address: a.wanIp, port: 41000 })
    // A different sender aims at the open mapping: a port-restricted router must not let it in.
    for (let i = 0; i < 3; i++) {
      await lab.exec(lab.pubNs, [...PROBE, 'send-udp', PUBLIC_IP_2, '40000', a.wanIp, String(mapped.port)])
    }
    await waitFor('the hold to finish', () => hold.exited(), 5_000)
    // Two replies from the echo server (solicited), none of the three unsolicited datagrams.
    expect(lines(hold.output()).find((l) => 'received' in l)).toEqual({ received: 2 })
    const after = await a.counters()
    expect(after.droppedPackets - before.droppedPackets).toBeGreaterThanOrEqual(3)
  })

  test('STUN via coturn: eim maps one socket to one port for every destination', async () => {
    const a = lab.homes.get('a')!
    const servers = [`${PUBLIC_IP}:${STUN_PORT}`, `${PUBLIC_IP_2}:${STUN_PORT}`]
    const res = lines(await lab.exec(a.host, [...PROBE, 'stun', '42000', ...servers]))
    expect(res.map((r) => r.mapped)).toEqual([
      { address: a.wanIp, port: 42000 },
      { address: a.wanIp, port: 42000 },
    ])
  })

  test('STUN via coturn: symmetric maps one socket to a new port per destination', async () => {
    const b = lab.homes.get('b')!
    const servers = [`${PUBLIC_IP}:${STUN_PORT}`, `${PUBLIC_IP_2}:${STUN_PORT}`]
    const res = lines(await lab.exec(b.host, [...PROBE, 'stun', '42000', ...servers]))
    const [first, second] = res.map((r) => r.mapped as { address: string; port: number })
    expect(first?.address).toBe(b.wanIp)
    expect(second?.address).toBe(b.wanIp)
    expect(first?.port).not.toBe(second?.port)
  })

  test('public home is routed without translation and reachable unsolicited', async () => {
    await lab.removeHome('a')
    const a = await lab.addHome('a', 'public')
    const [res] = lines(await lab.exec(a.host, [...PROBE, 'tcp', PUBLIC_IP, String(ECHO_PORT)]))
    expect(res).toMatchObject({ seenAs: { address: a.ip } })
    const hold = lab.spawn(a.host, [...PROBE, 'udp-hold', PUBLIC_IP, String(ECHO_PORT), '41000', '1000'])
    await waitFor('the public home to hear the echo', () => lines(hold.output()).some((l) => 'mapped' in l))
    await lab.exec(lab.pubNs, [...PROBE, 'send-udp', PUBLIC_IP_2, '40000', a.ip, '41000'])
    await waitFor('the hold to finish', () => hold.exited(), 5_000)
    expect(lines(hold.output()).find((l) => 'received' in l)).toEqual({ received: 3 })
  })
})

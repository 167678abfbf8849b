import { RTCPeerConnection } from 'node-datachannel/polyfill'
for (let i = 0; i < 4; i++) {
  const t0 = performance.now()
  const pc = new RTCPeerConnection({ iceServers: [] })
  const t1 = performance.now()
  const dc = pc.createDataChannel('init')
  const offer = await pc.createOffer()
  const t2 = performance.now()
  await pc.setLocalDescription(offer)
  const t3 = performance.now()
  console.log('ctor', (t1 - t0).toFixed(1), 'createOffer', (t2 - t1).toFixed(1), 'setLocal', (t3 - t2).toFixed(1))
  pc.close()
}

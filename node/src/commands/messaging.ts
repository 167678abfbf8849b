/**
 * Messaging commands (through the running daemon's control API):
 *
 * ```sh
 * edgeswarm publish chat "hello"          # or `-` to read the message from stdin
 * edgeswarm subscribe chat --json         # one JSON object per message until Ctrl-C
 * edgeswarm chat chat                     # interactive: type a line to send it
 * edgeswarm msg <peerId> "hi"             # direct message: delivered now, or queued in the edge mailbox
 * edgeswarm inbox --json
 * ```
 */
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import type { DirectMessage, PubSubMessage } from '#shared/services/messaging/types.ts'
import { callDaemon, streamDaemon } from '../control/client.ts'
import { type ClientFlags, clientCommand, dataDirOf } from './index.ts'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '')
}

const messageArg = async (raw: string) => (raw === '-' ? readStdin() : raw)
const time = (ms: number) => new Date(ms).toISOString().slice(11, 23)
const short = (id: string) => `…${id.slice(-8)}`

function formatPubSub(m: PubSubMessage): string {
  return `${time(m.receivedAt)} ${m.topic} ${short(m.author)} #${m.seq}: ${m.body}`
}

/** Ctrl-C (SIGINT) aborts the returned signal instead of killing the process mid-write. */
function interrupt(): AbortSignal {
  const ac = new AbortController()
  process.once('SIGINT', () => ac.abort())
  return ac.signal
}

async function subscribeLoop(
  dataDir: string,
  topic: string,
  signal: AbortSignal,
  onMessage: (m: PubSubMessage) => void,
  onReady: () => void,
): Promise<void> {
  try {
    for await (const item of streamDaemon(dataDir, 'POST', '/v1/pubsub/subscribe', { topic }, { signal })) {
      if ((item as { subscribed?: string }).subscribed !== undefined) onReady()
      else onMessage(item as PubSubMessage)
    }
  } catch (err) {
    if (!signal.aborted) throw err
  }
}

export function registerMessagingCommands(program: Command): void {
  clientCommand(
    program,
    'publish <topic> <message>',
    'publish a message on a topic (`-` reads stdin)',
  ).action(async (topic: string, message: string, flags: ClientFlags) => {
    const res = (await callDaemon(dataDirOf(flags), 'POST', '/v1/pubsub/publish', {
      topic,
      message: await messageArg(message),
    })) as { recipients: number; bytes: number }
    process.stdout.write(
      flags.json ? `${JSON.stringify(res)}\n` : `published on ${topic} to ${res.recipients} peers\n`,
    )
  })

  clientCommand(
    program,
    'subscribe <topic>',
    'print messages of a topic as they arrive, until Ctrl-C',
  ).action(async (topic: string, flags: ClientFlags) => {
    await subscribeLoop(
      dataDirOf(flags),
      topic,
      interrupt(),
      (m) => process.stdout.write(flags.json ? `${JSON.stringify(m)}\n` : `${formatPubSub(m)}\n`),
      () => process.stderr.write(`subscribed to ${topic}\n`),
    )
  })

  clientCommand(program, 'chat <topic>', 'interactive chat on a topic: type to send, Ctrl-C leaves').action(
    async (topic: string, flags: ClientFlags) => {
      const dataDir = dataDirOf(flags)
      const signal = interrupt()
      const rl = createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: process.stdin.isTTY,
      })
      signal.addEventListener('abort', () => rl.close())
      rl.on('close', () => process.kill(process.pid, 'SIGINT'))
      const show = (line: string) => {
        process.stdout.write(`\r${line}\n`)
        rl.prompt(true)
      }
      rl.on('line', (line) => {
        if (line.trim() === '') return rl.prompt()
        callDaemon(dataDir, 'POST', '/v1/pubsub/publish', { topic, message: line })
          .then(() => rl.prompt())
          .catch((err: Error) => show(`! not sent: ${err.message}`))
      })
      rl.setPrompt(`${topic}> `)
      await subscribeLoop(
        dataDir,
        topic,
        signal,
        (m) => show(formatPubSub(m)),
        () => {
          show(`joined ${topic} (Ctrl-C leaves)`)
        },
      )
    },
  )

  clientCommand(
    program,
    'topics',
    'topics this node is in, their peers, and dropped-message counters',
  ).action(async (flags: ClientFlags) => {
    const s = (await callDaemon(dataDirOf(flags), 'GET', '/v1/pubsub/stats')) as {
      published: number
      received: number
      dropped: Record<string, number>
      graylisted: string[]
      topics: Array<{ topic: string; subscribed: string[]; mesh: string[] }>
    }
    if (flags.json) return void process.stdout.write(`${JSON.stringify(s)}\n`)
    const lines = [
      `published ${s.published}  received ${s.received}`,
      `dropped   ${Object.entries(s.dropped)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `graylisted ${s.graylisted.length === 0 ? 'none' : s.graylisted.join(' ')}`,
      ...s.topics.map((t) => `topic ${t.topic}: ${t.subscribed.length} peers, ${t.mesh.length} in mesh`),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  })

  clientCommand(program, 'msg <peerId> <message>', 'send a direct message (`-` reads stdin)').action(
    async (peerId: string, message: string, flags: ClientFlags) => {
      const res = (await callDaemon(
        dataDirOf(flags),
        'POST',
        '/v1/messages/send',
        {
          to: peerId,
          message: await messageArg(message),
        },
        60_000,
      )) as { status: string; path?: string; ms: number; id: string }
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(res)}\n`
          : res.status === 'delivered'
            ? `delivered to ${peerId} (${res.path}, ${res.ms} ms)\n`
            : `${peerId} is offline: sealed in its mailbox on the edge, delivered when it returns\n`,
      )
    },
  )

  clientCommand(program, 'inbox', 'list received direct messages').action(async (flags: ClientFlags) => {
    const { messages } = (await callDaemon(dataDirOf(flags), 'GET', '/v1/messages/inbox')) as {
      messages: DirectMessage[]
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(messages)}\n`)
    else if (messages.length === 0) process.stdout.write('no messages\n')
    else
      for (const m of messages) {
        process.stdout.write(`${new Date(m.sentAt).toISOString()} ${m.from} (${m.via}): ${m.body}\n`)
      }
  })
}

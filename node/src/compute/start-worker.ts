/** `edgeswarm node --worker`: hands the shared compute service this node's sandboxed executor. */
import type { ServiceHost } from '#shared/peer/service.ts'
import type { Compute } from '#shared/services/compute/index.ts'
import { threadExecutor } from './thread-executor.ts'

export async function startComputeWorker(host: ServiceHost, cpus: number): Promise<void> {
  const compute = host.get<Compute>('compute')
  if (compute === undefined) throw new Error('--worker needs the compute service, which is disabled')
  await compute.startWorker(threadExecutor(cpus))
}

import type { Env } from '../env.ts'
import type { Settings } from './settings.ts'

/** Hono environment of the worker app: bindings plus per-request variables. */
export interface AppEnv {
  Bindings: Env
  Variables: {
    /** Vars parsed and validated once for this request (see settings.ts). */
    settings: Settings
    /** Error code of a JSON error answer, for the request's log line. */
    errorCode: string
  }
}

import { SystemClock } from '@nomadic/runtime'
import { expect, it } from 'vitest'
import { EvalBroker } from '../src/index.js'
import { makeEval } from './helpers.js'

it('redelivers after the nack timeout and re-enqueue delay on the real clock', async () => {
  const broker = new EvalBroker({ clock: new SystemClock() }, { nackTimeoutMs: 30, initialNackDelayMs: 10 })
  broker.setEnabled(true)
  const e = makeEval()
  broker.enqueue(e)
  const started = Date.now()
  const first = await broker.dequeue(['service'])
  // Never acked: the nack timer fires, the 10 ms delay passes, and a waiting dequeue gets it.
  const second = await broker.dequeue(['service'], { timeout: 5000 })
  expect(second?.eval).toBe(e)
  expect(second?.token).not.toBe(first?.token)
  expect(Date.now() - started).toBeGreaterThanOrEqual(38)
  broker.ack(e.ID, second!.token)
  broker.stop()
})

import { SeededRandom, SimClock } from '@nomadic/runtime'
import { mockEval, type Evaluation } from '@nomadic/structs'
import { BlockedEvals, EvalBroker, FAILED_QUEUE } from '@nomadic/eval-broker'

// A pending evaluation as the state store holds it (Nomad's Go field names).
function evaluation(ID: string, JobID: string, Priority: number, CreateIndex: number): Evaluation {
  return { ...mockEval(), ID, JobID, Priority, CreateIndex, ModifyIndex: CreateIndex }
}

// Simulated time here; production passes nothing and gets the system clock.
const clock = new SimClock()
const broker = new EvalBroker({ clock, random: new SeededRandom(1) })
const blocked = new BlockedEvals({ broker, clock })
broker.setEnabled(true) // on the leader only
blocked.setEnabled(true)

broker.enqueue(evaluation('e1', 'web', 50, 10))
broker.enqueue(evaluation('e2', 'web', 50, 11)) // same job: waits until e1 is acked
broker.enqueue(evaluation('e3', 'api', 80, 12)) // higher priority: delivered first

// A scheduler worker's loop: dequeue, schedule, ack (or nack to retry later).
const first = await broker.dequeue(['service', 'batch'], { timeout: 1000 })
const second = await broker.dequeue(['service', 'batch'], { timeout: 1000 })
broker.ack(first!.eval.ID, first!.token)
broker.nack(second!.eval.ID, second!.token) // back in 1 s; 20 s after a second nack; then `_failed`
clock.advance(1000)
const retry = await broker.dequeue(['service'])
broker.ack(retry!.eval.ID, retry!.token)
const next = broker.tryDequeue(['service'])! // e2, now that e1 is acked

// The scheduler could not place e2: block it until nodes of class "v1:abc" gain capacity.
broker.ack(next.eval.ID, next.token)
blocked.block({ ...next.eval, Status: 'blocked', SnapshotIndex: 20, ClassEligibility: { 'v1:abc': true } })
blocked.unblock('v1:abc', 21) // called by the FSM when a node of that class frees capacity
await Promise.resolve() // unblocks are applied in a microtask, never blocking the caller
const unblocked = broker.tryDequeue(['service'])

export const result = {
  order: [first!.eval.ID, second!.eval.ID, retry!.eval.ID, next.eval.ID],
  unblocked: unblocked?.eval.ID,
  failedQueue: FAILED_QUEUE,
  stats: broker.stats(),
}

broker.stop() // flushes everything and leaves no timer
blocked.stop()

import { SeededRandom, SimClock, type Clock } from '@nomadic/runtime'

// A component takes its clock; tests hand it a simulated one.
class Heartbeat {
  beats = 0
  constructor(private readonly clock: Clock) {}
  start(): void {
    this.clock.setInterval(() => this.beats++, 1000)
  }
}

const clock = new SimClock()
const heartbeat = new Heartbeat(clock)
heartbeat.start()
clock.advance(10_000) // ten simulated seconds, instantly
const random = new SeededRandom(7) // the same seed replays the same run
export const result = { beats: heartbeat.beats, roll: random.int(6) }

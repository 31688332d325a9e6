/** A msgpack extension value: a type byte (-128..127) and its payload. */
export class Ext {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

/** Bytes that are already msgpack, written into an encoding as they are. */
export class RawMsgpack {
  constructor(readonly bytes: Uint8Array) {}
}

/** A float that encodes as msgpack float32 (Go `float32` fields). */
export class Float32 {
  constructor(readonly value: number) {}
}

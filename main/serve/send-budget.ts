/**
 * How much one WebSocket client may have queued and not yet written to its socket.
 *
 * The cap counts every outstanding message except the largest: a snapshot bigger than the cap
 * still goes to a client that has caught up, and the small replies and events that follow may
 * queue behind it while it drains; a second large message may not. So a client never holds more
 * than `capBytes` plus one message, however many calls it makes without reading.
 */
export class SendBudget {
  /** Sizes of the messages not yet written, oldest first (sockets write in order). */
  readonly #sizes = new Fifo<number>();
  /**
   * The running maximum of #sizes (a monotonic queue): each entry is larger than every later one,
   * so the first is the largest message still outstanding.
   */
  readonly #peaks = new Fifo<{ seq: number; bytes: number }>();
  #added = 0;
  #released = 0;
  #total = 0;

  constructor(readonly capBytes: number) {}

  /** Bytes queued and not yet written. */
  get outstandingBytes(): number {
    return this.#total;
  }

  /** Whether a message of `bytes` may be queued now. */
  fits(bytes: number): boolean {
    const largest = Math.max(bytes, this.#peaks.first()?.bytes ?? 0);
    return this.#total + bytes - largest <= this.capBytes;
  }

  /** A message of `bytes` was queued. */
  add(bytes: number): void {
    this.#sizes.push(bytes);
    this.#total += bytes;
    while ((this.#peaks.last()?.bytes ?? Infinity) <= bytes) this.#peaks.pop();
    this.#peaks.push({ seq: this.#added++, bytes });
  }

  /** The oldest queued message was written to the socket. */
  release(): void {
    if (this.#sizes.size === 0) return;
    this.#total -= this.#sizes.shift()!;
    if (this.#peaks.first()?.seq === this.#released) this.#peaks.shift();
    this.#released++;
  }
}

/** An array used as a queue, without Array#shift's copying. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  first(): T | undefined {
    return this.size > 0 ? this.#items[this.#head] : undefined;
  }

  last(): T | undefined {
    return this.size > 0 ? this.#items[this.#items.length - 1] : undefined;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  pop(): T | undefined {
    return this.size > 0 ? this.#items.pop() : undefined;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/**
 * A carrier moves opaque chunks both ways over one long-lived connection and says when it ends;
 * sessions, messages and revisions are the protocol's business above it. The HTTP/2 (gRPC) carrier
 * is the first; a NATS carrier for scale-out implements the same two interfaces.
 */

export interface Channel {
  /** Who is at the other end (for logs). */
  readonly peer: string;
  /** Queues a chunk; false when the carrier is buffering past its high-water mark. */
  send(chunk: string): boolean;
  onChunk(listener: (chunk: Buffer) => void): void;
  /** Called once, with the reason when the channel failed rather than closed. */
  onClose(listener: (err?: Error) => void): void;
  close(): void;
}

export interface ServerCarrier {
  /** Serves until closed; every accepted connection is handed over as a channel. */
  listen(onChannel: (channel: Channel) => void): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

export interface ClientCarrier {
  /** Opens a channel to the controller at `url`; failures arrive through onClose. */
  connect(url: string): Channel;
  close(): void;
}

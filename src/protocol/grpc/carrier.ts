/**
 * The HTTP/2 carrier: one bidirectional gRPC stream per channel (@grpc/grpc-js), chunks as raw
 * bytes. gRPC brings framing, flow control and keepalive pings, so a cut network is noticed within
 * seconds instead of at TCP's retransmission timeout; the messages stay the protocol's own JSON.
 */
import * as grpc from '@grpc/grpc-js';
import type { Channel, ClientCarrier, ServerCarrier } from '../transport.js';

const PATH = '/alcor.southbound.v1.Southbound/Stream';
const identity = (b: Buffer): Buffer => b;
const toBuffer = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

const METHOD: grpc.MethodDefinition<Buffer, Buffer> = {
  path: PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: toBuffer,
  requestDeserialize: identity,
  responseSerialize: toBuffer,
  responseDeserialize: identity,
};

const MAX_MESSAGE = 64 * 1024 * 1024;
const OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE,
  'grpc.max_send_message_length': MAX_MESSAGE,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  // Reconnects are the agent's business (jittered, with resume): the channel must not retry on its own.
  'grpc.enable_retries': 0,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
  // Each client its own HTTP/2 connection: the simulator spreads its hosts over a few of them.
  'grpc.use_local_subchannel_pool': 1,
};

type Duplex = grpc.ServerDuplexStream<Buffer, Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>;

class StreamChannel implements Channel {
  private closeListeners: Array<(err?: Error) => void> = [];
  private ended = false;

  constructor(private readonly call: Duplex, readonly peer: string, private readonly finish: () => void) {
    call.on('end', () => this.ended_());
    call.on('close', () => this.ended_());
    call.on('error', (err: Error) => this.ended_(err));
  }

  private ended_(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of this.closeListeners) l(err);
    this.closeListeners = [];
  }

  send(chunk: string): boolean {
    if (this.ended) return false;
    return this.call.write(chunk as unknown as Buffer);
  }

  onChunk(listener: (chunk: Buffer) => void): void {
    this.call.on('data', listener);
  }

  onClose(listener: (err?: Error) => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.ended) return;
    try {
      this.finish();
    } finally {
      this.ended_();
    }
  }
}

export class GrpcServerCarrier implements ServerCarrier {
  private readonly server = new grpc.Server(OPTIONS);
  private readonly channels = new Set<Channel>();

  constructor(private readonly host: string, private readonly port: number) {}

  async listen(onChannel: (channel: Channel) => void): Promise<{ host: string; port: number }> {
    this.server.addService({ Stream: METHOD } as unknown as grpc.ServiceDefinition, {
      Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const channel = new StreamChannel(call, call.getPeer(), () => call.end());
        this.channels.add(channel);
        channel.onClose(() => this.channels.delete(channel));
        onChannel(channel);
      },
    });
    const address = this.host.startsWith('unix:') ? this.host : this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
    return { host: this.host, port };
  }

  async close(): Promise<void> {
    for (const c of this.channels) c.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.server.forceShutdown(); resolve(); }, 2_000);
      this.server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    });
  }
}

/** `http://HOST:PORT`, `grpc://HOST:PORT`, `HOST:PORT` or `unix:/PATH`, as gRPC's target. */
export function grpcTarget(url: string): string {
  if (url.startsWith('unix:/')) return url;
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/]+)\/?$/i.exec(url.trim());
  if (!m) throw new Error(`invalid controller address ${JSON.stringify(url)}: expected http://HOST:PORT`);
  return m[1];
}

export class GrpcClientCarrier implements ClientCarrier {
  private readonly clients = new Map<string, grpc.Client>();

  connect(url: string): Channel {
    const target = grpcTarget(url);
    let client = this.clients.get(target);
    if (!client) {
      client = new grpc.Client(target, grpc.credentials.createInsecure(), OPTIONS);
      this.clients.set(target, client);
    }
    const call = client.makeBidiStreamRequest<Buffer, Buffer>(PATH, toBuffer, identity);
    return new StreamChannel(call, target, () => call.cancel());
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

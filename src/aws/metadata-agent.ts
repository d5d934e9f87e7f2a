/**
 * The HTTP agent for EC2 instance metadata and the container credentials endpoint, which the
 * AWS SDK reaches with a bare `http.request`, so through Node's global agent, each request with a
 * socket timeout of NETWORK_LIMITS.credentialEndpointTimeoutMs (0.6 s). It goes direct, never
 * through a proxy (keepMetadataDirect in proxy-agent.ts).
 *
 * Why its own sockets: Node's socket timeout is a bare timer. A helper starved of CPU past it runs
 * the timer before it reads the answer already in its socket, and the SDK gives up on instance
 * metadata: the token request times out, the IMDSv1 requests that follow are refused where IMDSv2
 * is required, and the get fails with "no AWS credentials found" on a loaded EC2 host. These
 * sockets judge their timeout after the input at hand has been read, as time-limit.ts does.
 */
import http from 'node:http';
import net from 'node:net';

type TimeoutHook = { _onTimeout(): void };

/**
 * A socket whose idle timeout goes off only when nothing was read since its timer fired, judged
 * after the event loop's poll (setImmediate), where a starved process reads what came in time.
 */
export class PatientSocket extends net.Socket {
  /**
   * Node's net.Socket calls `_onTimeout` when its idle timer fires, and that emits 'timeout'
   * (lib/net.js, Node 20 to 24). Were Node to rename it, this would go unused and the socket
   * would time out as Node's own do: test/aws/metadata-agent.test.ts would say so.
   */
  _onTimeout(): void {
    const readBefore = this.bytesRead;
    setImmediate(() => {
      if (this.destroyed) return;
      // Something was read: the socket was not idle; its timer starts again.
      if (this.bytesRead !== readBefore) this.setTimeout(this.timeout ?? 0);
      else (net.Socket.prototype as unknown as TimeoutHook)._onTimeout.call(this);
    });
  }
}

/** An http.Agent whose connections are PatientSockets. */
export class MetadataAgent extends http.Agent {
  /** What the agent calls for each new connection (as net.createConnection would be called). */
  override createConnection(options: net.NetConnectOpts): net.Socket {
    const socket = new PatientSocket(options);
    if (options.timeout !== undefined && options.timeout > 0) socket.setTimeout(options.timeout);
    return socket.connect(options);
  }
}

internal import HTTPTypes
internal import Logging
internal import NIOConcurrencyHelpers
internal import NIOCore
internal import NIOPosix
internal import NIOSSL
internal import WSClient

/// One open connection to a node: received bytes taken in bursts, writes of whole STOMP frames.
protocol ClientTransport: Sendable {
    /// One element each time bytes arrive while none were waiting: take them (and whatever came
    /// since) with `takeReceived()`. Ends when the connection closes (throws if it failed).
    var inbound: AsyncThrowingStream<Void, any Error> { get }
    /// Every byte received since the last call, in order.
    func takeReceived() -> [UInt8]
    /// Queues one STOMP frame (or heart-beat) for writing; never blocks.
    func write(_ bytes: [UInt8])
    /// Closes the connection; `inbound` then ends.
    func close()
}

/// Received bytes waiting for the client, and the signal that wakes it. While the client is
/// busy, further reads add to the waiting bytes without another wake-up, so a fast stream of
/// messages is taken in large bursts: one hop from the network thread to the client per burst,
/// not per read (issue 14: a wake-up per read bounded one subscription near 60k messages/s).
final class ReceivedBytes: Sendable {
    let signals: AsyncThrowingStream<Void, any Error>
    private let continuation: AsyncThrowingStream<Void, any Error>.Continuation
    private let waiting = NIOLockedValueBox(Waiting())

    private struct Waiting {
        var bytes: [UInt8] = []
        var signalled = false
    }

    init() {
        (signals, continuation) = AsyncThrowingStream<Void, any Error>.makeStream()
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        let signal = waiting.withLockedValue { waiting in
            waiting.bytes.append(contentsOf: bytes)
            defer { waiting.signalled = true }
            return !waiting.signalled
        }
        if signal { continuation.yield() }
    }

    func take() -> [UInt8] {
        waiting.withLockedValue { waiting in
            waiting.signalled = false
            defer { waiting.bytes = [] }
            return waiting.bytes
        }
    }

    func finish(throwing error: (any Error)? = nil) {
        continuation.finish(throwing: error)
    }
}

/// Opens transports for an endpoint (swift-nio for TCP/TLS, swift-websocket's client for WebSocket).
enum ClientTransports {
    static func open(_ endpoint: StampedeEndpoint, token: String?, tokenQueryParameter: String?, maxFrameBytes: Int, tls: TLSConfiguration?) async throws -> any ClientTransport {
        if endpoint.isWebSocket {
            return WebSocketClientTransport(endpoint: endpoint, token: token, tokenQueryParameter: tokenQueryParameter, maxFrameBytes: maxFrameBytes, tls: tls)
        }
        return try await TCPClientTransport.connect(endpoint, tls: tls)
    }

    /// TLS for `wss://` and `stomp+ssl://`: the server's certificate is always verified, against
    /// `trustedCAFile` when given (nil configuration: the system's trust store).
    static func tlsConfiguration(trustedCAFile: String?) -> TLSConfiguration? {
        guard let trustedCAFile else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(trustedCAFile)
        return configuration
    }
}

// MARK: - TCP (stomp://, stomp+ssl://)

/// Raw STOMP over a NIO `ClientBootstrap` channel.
final class TCPClientTransport: ClientTransport {
    private let received: ReceivedBytes
    var inbound: AsyncThrowingStream<Void, any Error> { received.signals }
    private let channel: any Channel
    /// Frames written and not yet handed to the channel, and whether a flush is on its way to
    /// the event loop. A burst of writes costs one hop to the loop and one socket write, not
    /// one of each per frame (issue 14: each `writeAndFlush` from off the loop woke it up).
    private let pending = NIOLockedValueBox(PendingOutput())

    private struct PendingOutput {
        var bytes: [UInt8] = []
        var flushScheduled = false
    }

    private init(channel: any Channel, received: ReceivedBytes) {
        self.channel = channel
        self.received = received
    }

    func takeReceived() -> [UInt8] { received.take() }

    static func connect(_ endpoint: StampedeEndpoint, tls: TLSConfiguration?) async throws -> TCPClientTransport {
        let received = ReceivedBytes()
        let sslContext = try endpoint.usesTLS ? NIOSSLContext(configuration: tls ?? .makeClientConfiguration()) : nil
        let host = endpoint.host
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(InboundBytesHandler(received: received))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
            return TCPClientTransport(channel: channel, received: received)
        } catch {
            received.finish(throwing: error)
            throw error
        }
    }

    func write(_ bytes: [UInt8]) {
        let schedule = pending.withLockedValue { output in
            output.bytes.append(contentsOf: bytes)
            defer { output.flushScheduled = true }
            return !output.flushScheduled
        }
        guard schedule else { return }
        channel.eventLoop.execute { [self] in
            let bytes = pending.withLockedValue { output in
                output.flushScheduled = false
                defer { output.bytes = [] }
                return output.bytes
            }
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        }
    }

    /// Closes after what was written (the flush is ahead of the close on the event loop).
    func close() {
        channel.close(promise: nil)
    }
}

/// Hands every read to the stream; the stream ends with the channel.
private final class InboundBytesHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let received: ReceivedBytes

    init(received: ReceivedBytes) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { received.append($0) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        received.finish(throwing: error)
        context.close(promise: nil)
    }
}

// MARK: - WebSocket (ws://, wss://)

/// STOMP over swift-websocket's `WebSocketClient`: one WebSocket message per STOMP frame (text
/// when the bytes are UTF-8, as stomp.js and the node do), offering the `v12.stomp` family.
final class WebSocketClientTransport: ClientTransport {
    private let received = ReceivedBytes()
    var inbound: AsyncThrowingStream<Void, any Error> { received.signals }
    private let outbound: AsyncStream<[UInt8]>.Continuation
    private let task: Task<Void, Never>

    init(endpoint: StampedeEndpoint, token: String?, tokenQueryParameter: String?, maxFrameBytes: Int, tls: TLSConfiguration?) {
        let (outboundStream, outbound) = AsyncStream<[UInt8]>.makeStream()
        let received = received
        self.outbound = outbound
        var headers = HTTPFields()
        headers[HTTPField.Name("Sec-WebSocket-Protocol")!] = "v12.stomp, v11.stomp"
        // The handshake carries the token as a Bearer header (kept out of URLs and access logs).
        if let token { headers[.authorization] = "Bearer \(token)" }
        let configuration = WebSocketClientConfiguration(maxFrameSize: maxFrameBytes, additionalHeaders: headers)
        let url = endpoint.webSocketURL(token: token, parameter: tokenQueryParameter)
        let tlsConfiguration = endpoint.usesTLS ? (tls ?? .makeClientConfiguration()) : nil
        let logger = Logger(label: "stampede.client.websocket", factory: { _ in SwiftLogNoOpLogHandler() })
        task = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tlsConfiguration, logger: logger) { frames, writer, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await bytes in outboundStream {
                                if let text = String(validating: bytes, as: UTF8.self) {
                                    try await writer.write(.text(text))
                                } else {
                                    try await writer.write(.binary(ByteBuffer(bytes: bytes)))
                                }
                            }
                        }
                        group.addTask {
                            var messages = frames.messages(maxSize: maxFrameBytes).makeAsyncIterator()
                            while let message = try await messages.next() {
                                // One STOMP frame per message: appended as a byte stream.
                                switch message {
                                case .text(let text): Array(text.utf8).withUnsafeBytes { received.append($0) }
                                case .binary(let buffer): buffer.withUnsafeReadableBytes { received.append($0) }
                                }
                            }
                        }
                        // Either side ending ends the connection (the client sends the close frame).
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
                received.finish()
            } catch {
                received.finish(throwing: error)
            }
        }
    }

    func takeReceived() -> [UInt8] { received.take() }

    func write(_ bytes: [UInt8]) {
        outbound.yield(bytes)
    }

    /// Ends both directions at once, even while the handshake is still pending (a stopped node).
    func close() {
        outbound.finish()
        received.finish()
        task.cancel()
    }
}

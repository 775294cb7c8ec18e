import CLibUV

/// A listening TCP socket that hands each accepted connection to `onAccept`.
public final class TCPListener {
    let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    /// Released in the close callback, which breaks cycles through captured state.
    private var onAccept: ((TCPConnection) -> Void)?
    private var isClosing = false
    /// Accepts that failed (`EMFILE` and the like); the pending connection stays in the backlog.
    public private(set) var acceptErrorCount = 0
    /// The bound port (the ephemeral one when created with port 0).
    public let port: Int

    /// Binds and listens on an IPv4 or IPv6 literal (`"127.0.0.1"`, `"::1"`, `"0.0.0.0"`).
    /// Accepted connections have TCP_NODELAY set and start reading when `onAccept` returns,
    /// unless it called `pauseReading()`.
    public init(
        loop: EventLoop, host: String, port: Int, backlog: Int32 = 1024,
        onAccept: @escaping (TCPConnection) -> Void
    ) throws(UVError) {
        let address = try SocketAddress.make(host: host, port: port)
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        let initStatus = uv_tcp_init(loop.loop, handle)
        if initStatus < 0 {
            handle.deallocate()
            throw UVError(code: initStatus)
        }
        var boundPort = 0
        do throws(UVError) {
            try check(SocketAddress.withSockaddr(address) { uv_tcp_bind(handle, $0, 0) })
            try check(uv_listen(asStream(handle), backlog) { server, status in
                guard let server else { return }
                Unmanaged<TCPListener>.fromOpaque(server.pointee.data).takeUnretainedValue().acceptOne(status)
            })
            var bound = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            try check(withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(handle, $0, &length) }
            })
            boundPort = Int(SocketAddress.port(of: bound))
        } catch {
            closeUnownedHandle(handle)
            throw error
        }
        self.loop = loop
        self.handle = handle
        self.onAccept = onAccept
        self.port = boundPort
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    private func acceptOne(_ status: Int32) {
        guard status >= 0, !isClosing else {
            acceptErrorCount += 1
            return
        }
        let client = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.loop, client)
        let acceptStatus = uv_accept(asStream(handle), asStream(client))
        if acceptStatus < 0 {
            acceptErrorCount += 1
            closeUnownedHandle(client)
            return
        }
        let connection = TCPConnection(loop: loop, handle: client, state: .open)
        connection.didOpen()
        onAccept?(connection)
        connection.allowReading()
    }

    /// Stops listening; established connections are not affected. Safe to call twice.
    public func close() {
        guard !isClosing else { return }
        isClosing = true
        uv_close(asHandle(handle)) { handle in
            guard let handle else { return }
            let listener = Unmanaged<TCPListener>.fromOpaque(handle.pointee.data).takeRetainedValue()
            listener.onAccept = nil
            UnsafeMutableRawPointer(handle).deallocate()
        }
    }
}

import CLibUV
import Glibc

/// Carries the completion of a client connect through `uv_connect_t.data`.
private final class ConnectRequest {
    let connection: TCPConnection
    let completion: (Result<TCPConnection, UVError>) -> Void

    init(connection: TCPConnection, completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        self.connection = connection
        self.completion = completion
    }
}

/// Delivers a connect that failed before libuv took it, from the close callback, so the
/// completion is never called re-entrantly from `connect`.
private final class ConnectFailureReporter: TCPConnectionDelegate {
    let completion: (Result<TCPConnection, UVError>) -> Void

    init(_ completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        self.completion = completion
    }

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {}

    func connectionDidClose(_ connection: TCPConnection, error: UVError?) {
        completion(.failure(error ?? .canceled))
    }
}

extension TCPConnection {
    /// Opens a client connection (tests and the benchmark). `host` is an IP literal;
    /// `sourceAddress` binds a local IP (e.g. `127.0.0.2`) to spread many connections over
    /// loopback addresses. The completion runs once on a later loop turn; on success the
    /// connection starts reading when it returns, unless `pauseReading()` was called.
    public static func connect(
        loop: EventLoop, host: String, port: Int, sourceAddress: String? = nil,
        completion: @escaping (Result<TCPConnection, UVError>) -> Void
    ) {
        // Failures before libuv has the connect (a bad source address, no socket) take the close
        // path below, so that the completion still runs on a later loop turn.
        var source: sockaddr_storage?
        var setupError: UVError?
        if let sourceAddress {
            do throws(UVError) {
                source = try SocketAddress.make(host: sourceAddress, port: 0)
            } catch {
                setupError = error
            }
        }
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        // With a source address the socket is made now: it takes an option before the bind.
        let family = source.map { UInt32($0.ss_family) } ?? UInt32(AF_UNSPEC)
        var initStatus = uv_tcp_init_ex(loop.loop, handle, family)
        if initStatus < 0 && family != UInt32(AF_UNSPEC) {
            setupError = UVError(code: initStatus)
            initStatus = uv_tcp_init(loop.loop, handle)
        }
        if initStatus < 0 {
            handle.deallocate()
            completion(.failure(UVError(code: initStatus)))
            return
        }
        let connection = TCPConnection(loop: loop, handle: handle, state: .connecting)
        do throws(UVError) {
            if let setupError { throw setupError }
            if let source {
                deferPortChoiceToConnect(handle)
                try check(SocketAddress.withSockaddr(source) { uv_tcp_bind(handle, $0, 0) })
            }
            let destination = try SocketAddress.make(host: host, port: port)
            let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
            request.pointee.data = Unmanaged.passRetained(ConnectRequest(connection: connection, completion: completion)).toOpaque()
            let status = SocketAddress.withSockaddr(destination) { address in
                uv_tcp_connect(request, handle, address) { request, status in
                    guard let request else { return }
                    let pending = Unmanaged<ConnectRequest>.fromOpaque(request.pointee.data).takeRetainedValue()
                    request.deallocate()
                    pending.connection.didConnect(status, completion: pending.completion)
                }
            }
            if status < 0 {
                Unmanaged<ConnectRequest>.fromOpaque(request.pointee.data).release()
                request.deallocate()
                throw UVError(code: status)
            }
        } catch {
            connection.delegate = ConnectFailureReporter(completion)
            connection.closeNow(error: error)
        }
    }

    /// Sets IP_BIND_ADDRESS_NO_PORT, so that binding to port 0 leaves the port to `connect()`,
    /// which only needs the whole 4-tuple to be unique. Without it, bind searches for a port free
    /// on that address, which gets slow past a few thousand connections (10,000 from one
    /// address: 6-10 s, 0.5 s with it). Best effort: the bind works either way.
    private static func deferPortChoiceToConnect(_ handle: UnsafeMutablePointer<uv_tcp_t>) {
        var descriptor: uv_os_fd_t = -1
        guard uv_fileno(asHandle(handle), &descriptor) == 0 else { return }
        var enabled: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_IP), IP_BIND_ADDRESS_NO_PORT, &enabled, socklen_t(MemoryLayout<Int32>.size))
    }

    private func didConnect(_ status: Int32, completion: (Result<TCPConnection, UVError>) -> Void) {
        guard status >= 0, state == .connecting else {
            // ECANCELED when closed while connecting; the close callback has no delegate to tell.
            let error = status < 0 ? UVError(code: status) : UVError.canceled
            closeNow(error: error)
            completion(.failure(error))
            return
        }
        state = .open
        didOpen()
        completion(.success(self))
        allowReading()
        if let output, output.hasPending { markDirty() }
    }
}

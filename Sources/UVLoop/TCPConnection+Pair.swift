import CLibUV
#if canImport(Glibc)
import Glibc
#endif

extension TCPConnection {
    /// Two connected in-process stream ends (an `AF_UNIX` socketpair driven as libuv streams),
    /// both open and reading once `allowReading` is called. The node uses one end as a client
    /// connection and the other from a transport it serves itself (SockJS), so that a session
    /// behind such a transport is an ordinary connection of the node.
    public static func pair(loop: EventLoop) throws(UVError) -> (TCPConnection, TCPConnection) {
        var fds: [uv_os_sock_t] = [-1, -1]
        let status = fds.withUnsafeMutableBufferPointer { uv_socketpair(Int32(SOCK_STREAM.rawValue), 0, $0.baseAddress, 0, 0) }
        if status < 0 { throw UVError(code: status) }
        var ends: [TCPConnection] = []
        for (index, fd) in fds.enumerated() {
            let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
            uv_tcp_init(loop.loop, handle)
            let opened = uv_tcp_open(handle, fd)
            if opened < 0 {
                closeUnownedHandle(handle)
                for end in ends { end.close(afterFlush: false) }
                for unowned in fds[index...] { Glibc.close(unowned) }
                throw UVError(code: opened)
            }
            let connection = TCPConnection(loop: loop, handle: handle, state: .open)
            connection.cachedPeerAddress = "in-process"
            ends.append(connection)
        }
        return (ends[0], ends[1])
    }

    /// Starts reading an end made by `pair` (accepted connections start when `onAccept` returns).
    public func startReadingPairEnd() { allowReading() }
}

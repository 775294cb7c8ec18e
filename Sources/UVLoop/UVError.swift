import CLibUV

/// A libuv error: a negative `UV_E*` code with its name and message from libuv.
public struct UVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The negative libuv error code (`UV_ECONNRESET`, `UV_EOF`, ...).
    public let code: Int32

    /// Wraps a negative libuv status code.
    public init(code: Int32) {
        self.code = code
    }

    init(_ errno: uv_errno_t) {
        self.code = Int32(errno.rawValue)
    }

    /// The symbolic name, e.g. `"ECONNRESET"` (`uv_err_name_r`, which does not leak for unknown codes).
    public var name: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            String(cString: uv_err_name_r(code, buffer.baseAddress, 64))
        }
    }

    /// The human-readable message, e.g. `"connection reset by peer"` (`uv_strerror_r`).
    public var message: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
            String(cString: uv_strerror_r(code, buffer.baseAddress, 128))
        }
    }

    /// `"ECONNRESET: connection reset by peer"`.
    public var description: String { "\(name): \(message)" }

    /// Resource busy: `EventLoop.close()` with handles left open.
    public static let busy = UVError(UV_EBUSY)
    /// Connection reset by peer.
    public static let connectionReset = UVError(UV_ECONNRESET)
    /// Connection refused.
    public static let connectionRefused = UVError(UV_ECONNREFUSED)
    /// Broken pipe: writing after the peer went away.
    public static let brokenPipe = UVError(UV_EPIPE)
    /// Invalid argument, e.g. a host that is not an IP literal.
    public static let invalidArgument = UVError(UV_EINVAL)
    /// Address already in use.
    public static let addressInUse = UVError(UV_EADDRINUSE)
    /// Operation canceled (pending requests of a handle being closed).
    public static let canceled = UVError(UV_ECANCELED)
    /// End of stream.
    public static let endOfFile = UVError(UV_EOF)
}

/// Throws the status of a libuv call if it is an error.
@inline(__always)
func check(_ status: Int32) throws(UVError) {
    if status < 0 { throw UVError(code: status) }
}

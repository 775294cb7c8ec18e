import CLibUV

/// IPv4/IPv6 literal addresses to and from `sockaddr_storage` (no name resolution).
enum SocketAddress {
    /// Parses `"127.0.0.1"`, `"::1"` or `"[::1]"` with a port in 0...65535; `EINVAL` otherwise.
    static func make(host: String, port: Int) throws(UVError) -> sockaddr_storage {
        guard (0...65_535).contains(port) else { throw .invalidArgument }
        var storage = sockaddr_storage()
        var literal = Substring(host)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        let status: Int32 = withUnsafeMutablePointer(to: &storage) { pointer in
            if literal.contains(":") {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_addr(String(literal), Int32(port), $0) }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(String(literal), Int32(port), $0) }
            }
        }
        try check(status)
        return storage
    }

    /// `"ip:port"`, or `"[ip6]:port"`.
    static func describe(_ storage: sockaddr_storage) -> String {
        var storage = storage
        return withUnsafeMutablePointer(to: &storage) { pointer in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
                let name = buffer.baseAddress.unsafelyUnwrapped
                if Int32(pointer.pointee.ss_family) == AF_INET6 {
                    return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                        uv_ip6_name(address, name, 64)
                        return "[\(String(cString: name))]:\(UInt16(bigEndian: address.pointee.sin6_port))"
                    }
                }
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    uv_ip4_name(address, name, 64)
                    return "\(String(cString: name)):\(UInt16(bigEndian: address.pointee.sin_port))"
                }
            }
        }
    }

    /// Calls `body` with the address as a `sockaddr` pointer.
    static func withSockaddr<Result>(
        _ storage: sockaddr_storage, _ body: (UnsafePointer<sockaddr>) -> Result
    ) -> Result {
        var storage = storage
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }
}

extension SocketAddress {
    /// The port of an IPv4 or IPv6 address.
    static func port(of storage: sockaddr_storage) -> UInt16 {
        var storage = storage
        return withUnsafePointer(to: &storage) { pointer in
            if Int32(pointer.pointee.ss_family) == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }
}

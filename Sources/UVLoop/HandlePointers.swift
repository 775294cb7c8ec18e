import CLibUV

// libuv handle and request structs begin with the same fields as their "base" types, so a
// `uv_tcp_t *` is usable as a `uv_stream_t *` and a `uv_handle_t *`, as in C.

@inline(__always)
func asHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutablePointer(OpaquePointer(pointer))
}

@inline(__always)
func asStream(_ pointer: UnsafeMutablePointer<uv_tcp_t>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutablePointer(OpaquePointer(pointer))
}

/// Closes a handle that never got a Swift owner (a failed listener or accept): its close
/// callback only frees the memory.
func closeUnownedHandle<T>(_ pointer: UnsafeMutablePointer<T>) {
    let handle = asHandle(pointer)
    handle.pointee.data = nil
    uv_close(handle) { handle in
        UnsafeMutableRawPointer(handle)?.deallocate()
    }
}

import CLibUV

/// One socket libcurl asked the loop to watch: a `uv_poll_t` on it.
///
/// Lifetime: `handle.data` holds +1 on the watcher, released in the close callback, which also
/// frees the handle. libcurl says when a socket is no longer needed (`CURL_POLL_REMOVE`); the
/// watcher then closes its handle (never frees it there: libuv frees nothing before the close
/// callback, on a later loop phase).
final class CurlSocketWatcher {
    let socket: Int32
    private let handle: UnsafeMutablePointer<uv_poll_t>
    private unowned let client: HTTPClient
    private var isClosing = false

    init?(socket: Int32, loop: UnsafeMutablePointer<uv_loop_t>, client: HTTPClient) {
        let handle = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
        guard uv_poll_init_socket(loop, handle, socket) == 0 else {
            handle.deallocate()
            return nil
        }
        self.socket = socket
        self.handle = handle
        self.client = client
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Watches for what libcurl wants (`UV_READABLE` / `UV_WRITABLE` bits).
    func watch(_ events: Int32) {
        guard !isClosing else { return }
        uv_poll_start(handle, events) { handle, status, events in
            guard let handle, let data = handle.pointee.data else { return }
            let watcher = Unmanaged<CurlSocketWatcher>.fromOpaque(data).takeUnretainedValue()
            guard !watcher.isClosing else { return }
            watcher.client.socketReady(watcher.socket, status: status, events: events)
        }
    }

    func close() {
        guard !isClosing else { return }
        isClosing = true
        uv_poll_stop(handle)
        uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(handle))) { handle in
            guard let handle else { return }
            if let data = handle.pointee.data { Unmanaged<CurlSocketWatcher>.fromOpaque(data).release() }
            UnsafeMutableRawPointer(handle).deallocate()
        }
    }
}

import CHiredis
import CLibUV

/// Drives one hiredis async context from a `uv_poll_t` on its socket: the project's replacement
/// for `hiredis/adapters/libuv.h`, whose 0.14.1 version drops poll errors and so never lets
/// hiredis notice a failed connect. Here a poll error is passed on as the events hiredis waits
/// for, so hiredis reads `SO_ERROR` (connecting) or gets the error from `read` (connected) and
/// runs its connect or disconnect callback.
///
/// Lifetime: `handle.data` holds +1 on the adapter, released in the close callback, which also
/// frees the handle memory. The adapter holds its link strongly, so the link (reached from
/// `ac->data`) outlives every hiredis callback of the context. hiredis calls `cleanup` from
/// inside `__redisAsyncFree`, before it frees the context: the adapter then forgets the
/// context and closes the handle (closing is allowed there; freeing happens on a later phase).
final class HiredisPollAdapter {
    let link: RedisLink
    /// The context this adapter drives; `nil` once hiredis called `cleanup`.
    private(set) var context: UnsafeMutablePointer<redisAsyncContext>?
    private let handle: UnsafeMutablePointer<uv_poll_t>
    /// What hiredis asked for (`UV_READABLE` / `UV_WRITABLE` bits).
    private var wanted: Int32 = 0

    /// Attaches to `context` (its hooks must still be unset); `nil` if libuv refuses the socket.
    init?(link: RedisLink, context: UnsafeMutablePointer<redisAsyncContext>, loop: UnsafeMutablePointer<uv_loop_t>) {
        let handle = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
        guard uv_poll_init_socket(loop, handle, context.pointee.c.fd) == 0 else {
            // libuv registers nothing when init fails, so the memory is ours to free.
            handle.deallocate()
            return nil
        }
        self.link = link
        self.context = context
        self.handle = handle
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()

        context.pointee.ev.data = Unmanaged.passUnretained(self).toOpaque()
        context.pointee.ev.addRead = { data in HiredisPollAdapter.from(data)?.want(Int32(UV_READABLE.rawValue), true) }
        context.pointee.ev.delRead = { data in HiredisPollAdapter.from(data)?.want(Int32(UV_READABLE.rawValue), false) }
        context.pointee.ev.addWrite = { data in HiredisPollAdapter.from(data)?.want(Int32(UV_WRITABLE.rawValue), true) }
        context.pointee.ev.delWrite = { data in HiredisPollAdapter.from(data)?.want(Int32(UV_WRITABLE.rawValue), false) }
        context.pointee.ev.cleanup = { data in HiredisPollAdapter.from(data)?.detach() }
    }

    /// The adapter attached to a context, from `ac->ev.data`.
    static func attached(to context: UnsafePointer<redisAsyncContext>) -> HiredisPollAdapter? {
        from(context.pointee.ev.data)
    }

    private static func from(_ data: UnsafeMutableRawPointer?) -> HiredisPollAdapter? {
        guard let data else { return nil }
        return Unmanaged<HiredisPollAdapter>.fromOpaque(data).takeUnretainedValue()
    }

    private func want(_ event: Int32, _ enabled: Bool) {
        guard context != nil else { return }
        let updated = enabled ? wanted | event : wanted & ~event
        // uv_poll_start re-registers the fd with epoll (two syscalls): only when something changed,
        // or when libuv stopped the poll after reporting an error.
        if updated == wanted && (updated == 0 || uv_is_active(asHandle(handle)) != 0) { return }
        wanted = updated
        if updated == 0 {
            uv_poll_stop(handle)
        } else {
            uv_poll_start(handle, updated, HiredisPollAdapter.pollCallback)
        }
    }

    private static let pollCallback: uv_poll_cb = { handle, status, events in
        guard let handle, let data = handle.pointee.data else { return }
        Unmanaged<HiredisPollAdapter>.fromOpaque(data).takeUnretainedValue().pollEvent(status: status, events: events)
    }

    private func pollEvent(status: Int32, events: Int32) {
        guard context != nil else { return }
        let readable = Int32(UV_READABLE.rawValue)
        let writable = Int32(UV_WRITABLE.rawValue)
        var ready = events
        if status < 0 {
            // libuv stopped polling and reports e.g. UV_EBADF for POLLERR: let hiredis look.
            ready = wanted == 0 ? readable | writable : wanted
        }
        link.enterHiredis()
        if ready & readable != 0, let context { redisAsyncHandleRead(context) }
        if ready & writable != 0, let context { redisAsyncHandleWrite(context) }
        if status < 0, context != nil, wanted != 0, uv_is_active(asHandle(handle)) == 0 {
            uv_poll_start(handle, wanted, HiredisPollAdapter.pollCallback)
        }
        link.leaveHiredis()
    }

    /// hiredis's `cleanup` hook: the context is about to be freed by hiredis.
    private func detach() {
        guard context != nil else { return }
        context = nil
        wanted = 0
        uv_close(asHandle(handle)) { handle in
            guard let handle else { return }
            if let data = handle.pointee.data {
                Unmanaged<HiredisPollAdapter>.fromOpaque(data).release()
            }
            UnsafeMutableRawPointer(handle).deallocate()
        }
    }
}

@inline(__always)
func asHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutablePointer(OpaquePointer(pointer))
}

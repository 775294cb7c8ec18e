import CLibUV
import Glibc

/// Delivers a POSIX signal on the loop thread (`uv_signal_t`), e.g. SIGTERM for a graceful shutdown.
public final class SignalWatcher {
    let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_signal_t>
    /// Released on `close()`, which breaks cycles through captured state.
    private var callback: ((Int32) -> Void)?
    private var isClosing = false

    /// Starts watching `signal`; an active watcher keeps the loop alive.
    public init(loop: EventLoop, signal: Int32, _ callback: @escaping (Int32) -> Void) throws(UVError) {
        let handle = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
        let initStatus = uv_signal_init(loop.loop, handle)
        if initStatus < 0 {
            handle.deallocate()
            throw UVError(code: initStatus)
        }
        let status = uv_signal_start(handle, { handle, signal in
            guard let handle else { return }
            Unmanaged<SignalWatcher>.fromOpaque(handle.pointee.data).takeUnretainedValue().callback?(signal)
        }, signal)
        if status < 0 {
            closeUnownedHandle(handle)
            throw UVError(code: status)
        }
        self.loop = loop
        self.handle = handle
        self.callback = callback
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Stops watching. Safe to call twice.
    public func close() {
        guard !isClosing else { return }
        isClosing = true
        callback = nil
        uv_close(asHandle(handle)) { handle in
            guard let handle else { return }
            Unmanaged<SignalWatcher>.fromOpaque(handle.pointee.data).release()
            UnsafeMutableRawPointer(handle).deallocate()
        }
    }
}

/// Ignores SIGPIPE process-wide: libuv does not, and a write to a reset socket would kill the
/// process instead of failing with `EPIPE`.
public func ignoreSIGPIPE() {
    signal(SIGPIPE, SIG_IGN)
}

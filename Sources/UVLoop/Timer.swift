import CLibUV

/// A libuv timer (`uv_timer_t`) on the loop's millisecond clock.
public final class Timer {
    let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_timer_t>
    /// Released on `close()`, which breaks cycles through captured state.
    private var callback: (() -> Void)?
    private var isClosing = false

    /// Creates a stopped timer; it holds itself alive until `close()` completes.
    public init(loop: EventLoop) {
        self.loop = loop
        self.handle = .allocate(capacity: 1)
        uv_timer_init(loop.loop, handle)  // cannot fail on an initialized loop
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// (Re)starts the timer: `callback` runs after `afterMilliseconds`, then every
    /// `repeatMilliseconds` if that is not zero. An active timer keeps the loop alive.
    public func start(afterMilliseconds: UInt64, repeatMilliseconds: UInt64 = 0, _ callback: @escaping () -> Void) {
        guard !isClosing else { return }
        self.callback = callback
        uv_timer_start(handle, { handle in
            guard let handle else { return }
            let timer = Unmanaged<Timer>.fromOpaque(handle.pointee.data).takeUnretainedValue()
            timer.callback?()
        }, afterMilliseconds, repeatMilliseconds)
    }

    /// Started and not yet fired (a one-shot timer is inactive again when its callback runs).
    public var isActive: Bool { !isClosing && uv_is_active(asHandle(handle)) != 0 }

    /// Stops the timer; `start` may be called again.
    public func stop() {
        guard !isClosing else { return }
        uv_timer_stop(handle)
    }

    /// Closes the timer; the callback never runs again. Safe to call twice.
    public func close() {
        guard !isClosing else { return }
        isClosing = true
        callback = nil
        uv_close(asHandle(handle)) { handle in
            guard let handle else { return }
            Unmanaged<Timer>.fromOpaque(handle.pointee.data).release()
            UnsafeMutableRawPointer(handle).deallocate()
        }
    }
}

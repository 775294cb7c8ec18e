import CLibUV
import Glibc

/// Wakes the loop from any thread (`uv_async_t`): `signal()` may be called from anywhere, the
/// callback runs on the loop thread. libuv may coalesce several signals into one callback, so
/// the callback drains whatever work was queued (see `LoopInbox`).
///
/// The one object of the shell that other threads touch, hence `@unchecked Sendable`: `signal`
/// is guarded by a pthread mutex against a concurrent `close` (uv_async_send on a closed
/// handle is undefined); everything else is loop-thread only.
public final class AsyncWakeup: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<uv_async_t>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Loop thread only; released on close (breaks cycles through captured state).
    private var callback: (() -> Void)?
    private var isClosing = false

    /// An active handle: it keeps the loop running until `close()`. Create it on the loop thread.
    public init(loop: EventLoop, _ callback: @escaping () -> Void) throws(UVError) {
        handle = .allocate(capacity: 1)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        self.callback = callback
        let status = uv_async_init(loop.loop, handle) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            Unmanaged<AsyncWakeup>.fromOpaque(data).takeUnretainedValue().callback?()
        }
        guard status == 0 else {
            handle.deallocate()
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
            throw UVError(code: status)
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Any thread: makes the callback run soon on the loop thread. Does nothing once closed.
    public func signal() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !isClosing else { return }
        uv_async_send(handle)
    }

    /// Loop thread: the callback never runs again and the handle stops keeping the loop alive.
    public func close() {
        pthread_mutex_lock(mutex)
        let wasClosing = isClosing
        isClosing = true
        pthread_mutex_unlock(mutex)
        guard !wasClosing else { return }
        callback = nil
        uv_close(asHandle(handle)) { handle in
            guard let handle else { return }
            Unmanaged<AsyncWakeup>.fromOpaque(handle.pointee.data).release()
            UnsafeMutableRawPointer(handle).deallocate()
        }
    }
}

/// Work for the loop thread posted from any thread: jobs wait in a locked list and an
/// `AsyncWakeup` runs them, in posting order, on the loop thread with the loop's `Context`.
public final class LoopInbox<Context>: @unchecked Sendable {
    public typealias Job = @Sendable (Context) -> Void
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var jobs: [Job] = []
    private var wakeup: AsyncWakeup?
    private var isClosed = false

    /// Create on the loop thread; `context` is what jobs receive (kept until `close()`).
    public init(loop: EventLoop, context: Context) throws(UVError) {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var context: Context? = context
        wakeup = try AsyncWakeup(loop: loop) { [unowned self] in
            guard let current = context else { return }
            for job in self.takeJobs() { job(current) }
            if self.closedNow { context = nil }
        }
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Any thread: queues `job`. False once the inbox is closed (the job will never run).
    @discardableResult
    public func post(_ job: @escaping Job) -> Bool {
        pthread_mutex_lock(mutex)
        guard !isClosed else {
            pthread_mutex_unlock(mutex)
            return false
        }
        jobs.append(job)
        let wakeup = self.wakeup
        pthread_mutex_unlock(mutex)
        wakeup?.signal()
        return true
    }

    /// Loop thread: refuses further jobs, runs none of those still queued, closes the handle.
    public func close() {
        pthread_mutex_lock(mutex)
        isClosed = true
        jobs.removeAll()
        let wakeup = self.wakeup
        self.wakeup = nil
        pthread_mutex_unlock(mutex)
        wakeup?.close()
    }

    private var closedNow: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return isClosed
    }

    private func takeJobs() -> [Job] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let taken = jobs
        jobs.removeAll(keepingCapacity: true)
        return taken
    }
}
